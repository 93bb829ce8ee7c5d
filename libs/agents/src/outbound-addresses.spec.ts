import type { Environment } from '@runyard/config';
import { OutboundAddresses } from './outbound-addresses';

const allowing = (ranges: string) => new OutboundAddresses({ AGENT_ENDPOINT_ALLOW: ranges } as Environment);

describe('OutboundAddresses', () => {
  const none = allowing('');

  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.31.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.100.100.200',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '::',
    'fd00:ec2::254',
    'fe80::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:a9fe:a9fe',
  ])('refuses %s by default', (a) => expect(none.refusal(a)).toMatch(/address/));

  it.each(['93.184.216.34', '2606:4700::1111', '8.8.8.8'])('lets %s through', (a) => expect(none.refusal(a)).toBeNull());

  it('lets through what the admin allowed, and only that', () => {
    const some = allowing('127.0.0.0/8, fd00::/8');
    expect(some.refusal('127.0.0.5')).toBeNull();
    expect(some.refusal('fd00::1')).toBeNull();
    expect(some.refusal('10.0.0.1')).toMatch(/private/);
  });

  it('checks a URL by its literal address or by what its name resolves to', async () => {
    await expect(none.checkUrl(new URL('http://[::1]:8080/api/run'))).rejects.toThrow(/loopback/);
    await expect(none.checkUrl(new URL('http://localhost:8080/api/run'))).rejects.toThrow(/localhost resolves to .* loopback/);
    await expect(allowing('127.0.0.0/8,::1').checkUrl(new URL('http://localhost:8080/'))).resolves.toBeUndefined();
  });

  it('refuses at connect time a name that resolves to a denied address', async () => {
    const err = await new Promise<Error | null>((resolve) => none.lookup('localhost', {}, (e) => resolve(e)));
    expect(err?.message).toMatch(/localhost resolves to/);
  });
});
