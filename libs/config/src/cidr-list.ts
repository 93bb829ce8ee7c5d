import { isIP } from 'node:net';

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** `10.0.0.0/8, fd00::/8` (a bare address is its own range); throws naming the first entry that is not a CIDR. */
export function cidrList(text: string): Cidr[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((entry) => {
      const [address, bits, extra] = entry.split('/');
      const version = isIP(address);
      const max = version === 6 ? 128 : 32;
      const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
      if (version === 0 || extra !== undefined || !(prefix >= 0 && prefix <= max))
        throw new Error(`${entry} is not an address range (CIDR)`);
      return { address, prefix, family: version === 6 ? 'ipv6' : 'ipv4' };
    });
}
