import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { SIGNATURE_HEADERS, signingText } from '@runyard/agent-protocol';
import { DispatchVerifier } from './dispatch-verifier';

describe('signed dispatches', () => {
  const pair = generateKeyPairSync('ed25519');
  const signed = (body: Buffer, at = Date.now(), nonce = randomBytes(16).toString('hex'), key = pair.privateKey) => ({
    [SIGNATURE_HEADERS.timestamp]: String(at),
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.signature]: sign(null, Buffer.from(signingText('POST', '/api/run', String(at), nonce, body)), key).toString(
      'base64',
    ),
  });
  const verifier = () => {
    const v = new DispatchVerifier();
    v.pin(pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'));
    return v;
  };

  it('are accepted once from the pinned key, and never replayed', () => {
    const v = verifier();
    const body = Buffer.from('{"script":{}}');
    const headers = signed(body);
    expect(v.verify('POST', '/api/run', headers, body)).toBe(true);
    expect(v.verify('POST', '/api/run', headers, body)).toBe(false);
  });

  it('are refused for another body, path or key, outside the time window, or with no key pinned', () => {
    const v = verifier();
    const body = Buffer.from('{"script":{}}');
    expect(v.verify('POST', '/api/run', signed(body), Buffer.from('{"script":{"code":"rm"}}'))).toBe(false);
    expect(v.verify('POST', '/internal/reset', signed(body), body)).toBe(false);
    expect(v.verify('POST', '/api/run', signed(body, Date.now() - 10 * 60 * 1000), body)).toBe(false);
    expect(v.verify('POST', '/api/run', signed(body, Date.now(), undefined, generateKeyPairSync('ed25519').privateKey), body)).toBe(false);
    expect(new DispatchVerifier().verify('POST', '/api/run', signed(body), body)).toBe(false);
  });
});
