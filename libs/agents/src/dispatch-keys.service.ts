import { Injectable } from '@nestjs/common';
import { createPrivateKey, generateKeyPairSync, KeyObject, randomBytes, sign } from 'node:crypto';
import { DispatchTarget, SIGNATURE_HEADERS, signingText } from '@runyard/agent-protocol';
import { AgentsRepository } from './agents.repository';

/**
 * The deployment's Ed25519 key for push dispatches to its own agents: they pin its public half at
 * registration and check every dispatch against it, so Runyard never has to keep their secrets.
 */
@Injectable()
export class DispatchKeys {
  private key?: Promise<{ privateKey: KeyObject; publicKey: string }>;

  constructor(private readonly repo: AgentsRepository) {}

  private load() {
    this.key ??= this.repo
      .dispatchKey(() => {
        const pair = generateKeyPairSync('ed25519');
        return {
          privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          publicKey: pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
        };
      })
      .then((k) => ({ privateKey: createPrivateKey(k.privateKey), publicKey: k.publicKey }));
    this.key.catch(() => (this.key = undefined));
    return this.key;
  }

  /** The public key (SPKI DER, base64) agents pin. */
  async publicKey(): Promise<string> {
    return (await this.load()).publicKey;
  }

  /** The headers that sign one request to one agent. */
  async sign(to: DispatchTarget, method: string, path: string, body: Buffer): Promise<Record<string, string>> {
    const { privateKey } = await this.load();
    const timestamp = String(Date.now());
    const nonce = randomBytes(16).toString('hex');
    const signature = sign(null, Buffer.from(signingText(to, method, path, timestamp, nonce, body)), privateKey).toString('base64');
    return { [SIGNATURE_HEADERS.timestamp]: timestamp, [SIGNATURE_HEADERS.nonce]: nonce, [SIGNATURE_HEADERS.signature]: signature };
  }
}
