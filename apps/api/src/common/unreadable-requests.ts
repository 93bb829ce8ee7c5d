import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

/** Why Node's HTTP parser refused a request, in words a client can act on. */
function refusal(code: string | undefined): [number, string] {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return [431, 'the request line and headers are over 16 KiB: send fewer or shorter query values (a long wait: split it)'];
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'the request did not arrive in time'];
  return [400, 'not a well-formed HTTP/1.1 request'];
}

/**
 * A request Node's parser refuses never reaches Nest (a query over its 16 KiB limit, bytes that are not
 * HTTP): it still answers with the error body, where Node would answer an empty 431 or 400.
 */
export function answerUnreadableRequests(server: Server): void {
  server.on('clientError', (e: NodeJS.ErrnoException, socket: Duplex) => {
    const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (e.code === 'ECONNRESET' || !socket.writable || answering?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, message] = refusal(e.code);
    const body = JSON.stringify({ error: true, error_message: message });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
