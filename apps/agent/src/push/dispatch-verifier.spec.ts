import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { DispatchTarget, SIGNATURE_HEADERS, signingText } from '@runyard/agent-protocol';
import { DispatchVerifier } from './dispatch-verifier';

describe('signed dispatches', () => {
  const pair = generateKeyPairSync('ed25519');
  const me: DispatchTarget = { agentId: 'gpu1', endpoint: 'http://gpu1.example.org:3030/api/run' };
  const signed = (body: Buffer, at = Date.now(), nonce = randomBytes(16).toString('hex'), key = pair.privateKey, to = me) => ({
    [SIGNATURE_HEADERS.timestamp]: String(at),
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.signature]: sign(null, Buffer.from(signingText(to, 'POST', '/api/run', String(at), nonce, body)), key).toString(
      'base64',
    ),
  });
  const publicKey = pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const verifier = (seen?: Record<string, number>) => {
    const v = new DispatchVerifier(seen);
    v.pin(publicKey);
    return v;
  };

  it('are accepted once from the pinned key, and never replayed, not even by an agent started again with its kept nonces', () => {
    const v = verifier();
    const body = Buffer.from('{"script":{}}');
    const headers = signed(body);
    expect(v.verify(me, 'POST', '/api/run', headers, body)).toBe(true);
    expect(v.verify(me, 'POST', '/api/run', headers, body)).toBe(false);
    expect(verifier(v.nonces).verify(me, 'POST', '/api/run', headers, body)).toBe(false);
  });

  it('are refused for another agent, endpoint, body, path or key, outside the time window, or with no key pinned', () => {
    const v = verifier();
    const body = Buffer.from('{"script":{}}');
    expect(v.verify({ ...me, agentId: 'gpu2' }, 'POST', '/api/run', signed(body), body)).toBe(false);
    expect(v.verify({ ...me, endpoint: 'http://gpu2.example.org:3030/api/run' }, 'POST', '/api/run', signed(body), body)).toBe(false);
    expect(v.verify(me, 'POST', '/api/run', signed(body), Buffer.from('{"script":{"code":"rm"}}'))).toBe(false);
    expect(v.verify(me, 'POST', '/internal/reset', signed(body), body)).toBe(false);
    expect(v.verify(me, 'POST', '/api/run', signed(body, Date.now() - 2 * 60 * 1000), body)).toBe(false);
    expect(v.verify(me, 'POST', '/api/run', signed(body, Date.now(), undefined, generateKeyPairSync('ed25519').privateKey), body)).toBe(
      false,
    );
    expect(new DispatchVerifier().verify(me, 'POST', '/api/run', signed(body), body)).toBe(false);
  });
});
