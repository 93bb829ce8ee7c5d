import { lookup as dnsLookup, LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Injectable } from '@nestjs/common';
import { cidrList, Environment } from '@runyard/config';

/** Ranges a request Runyard makes on someone's behalf may not reach, unless an admin allows them. */
const DENIED = (
  [
    ['0.0.0.0', 8, 'ipv4', 'unspecified'],
    ['10.0.0.0', 8, 'ipv4', 'private'],
    ['100.64.0.0', 10, 'ipv4', 'private (shared, also cloud metadata)'],
    ['127.0.0.0', 8, 'ipv4', 'loopback'],
    ['169.254.0.0', 16, 'ipv4', 'link-local (also cloud metadata)'],
    ['172.16.0.0', 12, 'ipv4', 'private'],
    ['192.0.0.0', 24, 'ipv4', 'reserved'],
    ['192.168.0.0', 16, 'ipv4', 'private'],
    ['198.18.0.0', 15, 'ipv4', 'reserved'],
    ['224.0.0.0', 4, 'ipv4', 'multicast'],
    ['240.0.0.0', 4, 'ipv4', 'reserved'],
    ['::', 128, 'ipv6', 'unspecified'],
    ['::1', 128, 'ipv6', 'loopback'],
    ['fc00::', 7, 'ipv6', 'private (also cloud metadata)'],
    ['fe80::', 10, 'ipv6', 'link-local'],
    ['ff00::', 8, 'ipv6', 'multicast'],
  ] as const
).map(([net, prefix, family, what]) => {
  const range = new BlockList();
  range.addSubnet(net, prefix, family);
  return { range, family, what };
});

export class OutboundRefusedError extends Error {
  readonly code = 'ERR_RUNYARD_ADDRESS_REFUSED';
}

/** `::ffff:127.0.0.1` (or `::ffff:7f00:1`, as a URL writes it) is 127.0.0.1: the IPv4 rules apply to it. */
function plain(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return { address: dotted[1], family: 'ipv4' };
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex) {
    const [hi, lo] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
    return { address: [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.'), family: 'ipv4' };
  }
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

/**
 * Where Runyard may send requests on someone's behalf (push agents' endpoints): not to loopback,
 * private, link-local, multicast, unspecified or cloud-metadata addresses, unless an admin allowed
 * their range (AGENT_ENDPOINT_ALLOW). Checked on the URL at registration and on the address a name
 * resolves to when connecting (`lookup`), so a name that changes its answer is caught too.
 */
@Injectable()
export class OutboundAddresses {
  private readonly allowed = new BlockList();

  constructor(env: Environment) {
    for (const c of cidrList(env.AGENT_ENDPOINT_ALLOW)) this.allowed.addSubnet(c.address, c.prefix, c.family);
  }

  /** Why the address may not be reached, or null. */
  refusal(raw: string): string | null {
    const { address, family } = plain(raw);
    if (this.allowed.check(address, family)) return null;
    const denied = DENIED.find((d) => d.family === family && d.range.check(address, family));
    return denied ? `${raw} is a ${denied.what} address (an admin may allow its range with AGENT_ENDPOINT_ALLOW)` : null;
  }

  /** Throws when the URL's host is, or resolves to, an address that may not be reached; a name that does not resolve is left to connect time. */
  async checkUrl(url: URL): Promise<void> {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const addresses = isIP(host)
      ? [host]
      : await new Promise<string[]>((resolve) =>
          dnsLookup(host, { all: true }, (e, found) => resolve(e ? [] : found.map((a) => a.address))),
        );
    for (const a of addresses) {
      const why = this.refusal(a);
      if (why) throw new OutboundRefusedError(isIP(host) ? why : `${host} resolves to ${why}`);
    }
  }

  /** For `http.request`'s `lookup`: the name's addresses, refused if any of them may not be reached. */
  readonly lookup = (
    hostname: string,
    options: LookupOneOptions | LookupAllOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, found) => {
      if (err) return callback(err, '');
      const refused = found.map((a) => this.refusal(a.address)).find((why) => why !== null);
      if (refused) return callback(new OutboundRefusedError(`${hostname} resolves to ${refused}`), '');
      if (options.all) return callback(null, found);
      callback(null, found[0].address, found[0].family);
    });
  };
}
