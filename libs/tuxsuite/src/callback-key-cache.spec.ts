import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { CallbackKeyCache } from './callback-key-cache';
import { toOpenSshEcdsaLine } from './openssh-key';

const newKey = (): KeyObject => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const body = Buffer.from('{"kind":"build","status":{"uid":"abc","state":"finished"}}');
const sig = (key: KeyObject): string => sign('sha256', body, { key, dsaEncoding: 'der' }).toString('base64url');

describe('CallbackKeyCache', () => {
  it('fetches the key once and caches it', async () => {
    const key = newKey();
    const fetchKey = jest.fn(async () => toOpenSshEcdsaLine(key));
    const cache = new CallbackKeyCache({ fetchKey });
    expect(await cache.verify(body, sig(key))).toMatchObject({ ok: true });
    expect(await cache.verify(body, sig(key))).toMatchObject({ ok: true });
    expect(fetchKey).toHaveBeenCalledTimes(1);
  });

  it('refetches once when a signature fails (key rotation)', async () => {
    let current = newKey();
    const fetchKey = jest.fn(async () => toOpenSshEcdsaLine(current));
    const cache = new CallbackKeyCache({ fetchKey, minRefetchIntervalMs: 0 });
    await cache.verify(body, sig(current));
    current = newKey();
    expect(await cache.verify(body, sig(current))).toMatchObject({ ok: true });
    expect(fetchKey).toHaveBeenCalledTimes(2);
  });

  it('rate-limits refetches caused by forged signatures', async () => {
    let now = 0;
    const key = newKey();
    const fetchKey = jest.fn(async () => toOpenSshEcdsaLine(key));
    const cache = new CallbackKeyCache({ fetchKey, minRefetchIntervalMs: 1000, now: () => now });
    const forged = sig(newKey());
    expect(await cache.verify(body, forged)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(await cache.verify(body, forged)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(fetchKey).toHaveBeenCalledTimes(1);
    now = 2000;
    await cache.verify(body, forged);
    expect(fetchKey).toHaveBeenCalledTimes(2);
  });

  it('uses static keys without fetching, and answers a missing header without fetching', async () => {
    const key = newKey();
    const fetchKey = jest.fn(async () => toOpenSshEcdsaLine(newKey()));
    expect(await new CallbackKeyCache({ staticKeys: [toOpenSshEcdsaLine(key)] }).verify(body, sig(key))).toMatchObject({ ok: true });
    expect(await new CallbackKeyCache({ fetchKey }).verify(body, undefined)).toEqual({ ok: false, reason: 'missing-signature' });
    expect(fetchKey).not.toHaveBeenCalled();
  });
});
