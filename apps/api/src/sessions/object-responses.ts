import type { Request, Response } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectContent } from '@runyard/sessions';

/**
 * A ready object as bytes: its key, codec and version in headers (the version doubles as the ETag);
 * a client holding it gets 304, one asking with HEAD gets only the headers. The key lets a client check the answer is the object it asked for.
 */
export async function sendObject(req: Request, res: Response, content: ObjectContent): Promise<void> {
  const { object } = content;
  const etag = `"${object.version}"`;
  res.setHeader('ETag', etag);
  res.setHeader('X-Runyard-Key', object.key);
  res.setHeader('X-Runyard-Codec', object.codec ?? '');
  res.setHeader('X-Runyard-Version', String(object.version));
  if (req.headers['if-none-match'] === etag) {
    if (content.body instanceof Readable) content.body.destroy();
    res.status(304).end();
    return;
  }
  if (req.method === 'HEAD') {
    // A client waiting for the call to finish (wait()): the headers say it has, the bytes stay where they are.
    if (content.body instanceof Readable) content.body.destroy();
    res.status(200).setHeader('Content-Length', String(content.size)).end();
    return;
  }
  res.status(200).type('application/octet-stream').setHeader('Content-Length', String(content.size));
  if (Buffer.isBuffer(content.body)) {
    res.end(content.body);
    return;
  }
  await pipeline(content.body, res).catch(() => res.destroy());
}

/** Not ready within the wait: the client asks again. */
export function sendPending(res: Response, key: string): void {
  res.status(202).json({ key, state: 'pending' });
}

/** The Content-Length a client announced, if any. */
export function declaredLength(req: Request): number | undefined {
  const v = req.headers['content-length'];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}
