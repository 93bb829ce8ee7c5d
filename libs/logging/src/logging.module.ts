import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';

/** What never reaches a log line: tokens, signatures, cookies, private keys. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-tux-payload-signature"]',
  'res.headers["set-cookie"]',
  '*.token',
  '*.privateKey',
  '*.password',
];

/**
 * Structured JSON logs (pino) for API and worker: one line per request with its request id (taken from
 * X-Request-Id or made up, and sent back), secrets redacted. LOG_LEVEL sets the level.
 */
export const RunyardLoggingModule = LoggerModule.forRoot({
  // Mounted on "/" (no route parameters): a path that does not decode still gets its id and log line.
  forRoutes: ['/'],
  pinoHttp: {
    level: process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(given) ? given : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    // Health probes every few seconds would drown the rest.
    autoLogging: { ignore: (req: IncomingMessage) => (req.url ?? '').startsWith('/health') },
  },
});
