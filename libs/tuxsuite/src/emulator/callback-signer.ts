import { KeyObject, sign } from 'node:crypto';
import { SHORT_LOG } from './emulator-artifacts';

export interface SignOptions {
  legacyFormat: boolean;
  badSignature: boolean;
  escapeQuirk: boolean;
}

/**
 * The body and `x-tux-payload-signature` TuxSuite would send: url-safe base64 (with padding) of a DER
 * ECDSA P-256/SHA-256 signature over the raw body — or, in the legacy format, over the inner JSON text
 * of a double-encoded body. The switches reproduce TuxSuite's quirks and an attacker's forgery.
 */
export function signedCallback(payload: unknown, key: KeyObject, opts: SignOptions): { body: string; signature: string } {
  let text = JSON.stringify(payload);
  if (opts.escapeQuirk) text = text.replace(SHORT_LOG, SHORT_LOG.replace(/'/g, "\\'"));
  const body = opts.legacyFormat ? JSON.stringify(text) : text;
  const signed = Buffer.from(opts.badSignature ? `${text} ` : text, 'utf8');
  const der = sign('sha256', signed, { key, dsaEncoding: 'der' });
  return { body, signature: toUrlSafeBase64(der) };
}

function toUrlSafeBase64(data: Buffer): string {
  return data.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
