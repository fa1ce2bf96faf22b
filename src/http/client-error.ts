// A request Node's HTTP parser cannot read never reaches a route: it is answered here, from the
// catalogue, saying what is wrong. Fastify's own handler answers "Client Error" and, at trace
// level, logs the parser's error whole, with the raw bytes it read (`rawPacket`): the
// Authorization header and the webhook signatures among them. Only the parser's code is logged.
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { errorBody, type HttpError, httpError } from './errors.ts';

/** What the parser's codes (llhttp's) mean to the sender. */
const PARSER_ERRORS: Record<string, string> = {
  HPE_INVALID_HEADER_TOKEN: 'a header name or value holds a character HTTP does not allow',
  HPE_INVALID_METHOD: 'the method is not one HTTP knows',
  HPE_INVALID_URL: 'the request line holds a character a URL may not',
  HPE_INVALID_VERSION: 'the HTTP version is not one this service speaks',
  HPE_INVALID_CONTENT_LENGTH: 'the Content-Length is not a number, or given twice with two values',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'Content-Length and Transfer-Encoding are both given',
  HPE_INVALID_TRANSFER_ENCODING: 'the Transfer-Encoding is not chunked',
  HPE_INVALID_CHUNK_SIZE: 'a chunk size of the chunked body is not a hexadecimal number',
  HPE_CR_EXPECTED: 'a line does not end with CR LF',
  HPE_LF_EXPECTED: 'a line does not end with CR LF',
};

function answerFor(code: string | undefined): HttpError {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return httpError('REQUEST_TIMEOUT', 'the request was not received in full in time');
  if (code === 'HPE_HEADER_OVERFLOW')
    return httpError('HEADERS_TOO_LARGE', 'the request line and headers are too large (16 KB at most): send the data in a body');
  const what = (code && PARSER_ERRORS[code]) ?? `the parser refused it${code ? ` (${code})` : ''}`;
  return httpError('BAD_REQUEST', `the request is not valid HTTP: ${what}`);
}

export function clientErrorHandler(this: { log: FastifyBaseLogger }, error: NodeJS.ErrnoException, socket: Socket): void {
  // A connection reset: nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const answer = answerFor(error.code);
  this.log.debug({ code: error.code, statusCode: answer.statusCode }, 'a request HTTP cannot read: refused');
  // As Node's own handler: not into an answer already being written (a bad request pipelined behind a good one).
  const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !answering?.headersSent) {
    const body = JSON.stringify(errorBody(answer));
    const { statusCode } = answer;
    socket.write(
      `HTTP/1.1 ${statusCode} ${errorBody(answer).error}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
