import { randomUUID } from 'node:crypto';
import { maxHeaderSize } from 'node:http';
import type { Duplex } from 'node:stream';
import { HEADERS_TOO_LARGE, REQUEST_MALFORMED, REQUEST_TIMEOUT } from '../domain/errors';
import { problemTitle, problemType, type Problem } from './problem';
import { REQUEST_ID_HEADER } from './idempotency';

function refusalOf(code: string | undefined): Pick<Problem, 'status' | 'code' | 'detail'> {
  if (code === 'HPE_HEADER_OVERFLOW')
    return {
      status: 431,
      code: HEADERS_TOO_LARGE,
      detail: `the request's header block is larger than ${maxHeaderSize} bytes`,
    };
  if (code === 'HPE_REQUEST_TIMEOUT' || code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return { status: 408, code: REQUEST_TIMEOUT, detail: 'the request did not arrive in time' };
  return { status: 400, code: REQUEST_MALFORMED, detail: 'the request is not valid HTTP/1.1' };
}

/**
 * The HTTP server's `clientError` listener: a request Node could not parse never reaches express, and
 * Node's own answer is a status line without a body. This one is problem+json with a request id, like
 * every other refusal. A connection that is gone (reset, no longer writable, or mid-answer) is only closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // As Node's own handler: never write into a connection whose current answer has already begun.
  const answering = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || answering?.headersSent) {
    socket.destroy();
    return;
  }
  const refusal = refusalOf(error.code);
  const requestId = randomUUID();
  const problem: Problem = {
    type: problemType(refusal.code),
    title: problemTitle(refusal.status),
    ...refusal,
    requestId,
  };
  const body = JSON.stringify(problem);
  socket.end(
    [
      `HTTP/1.1 ${refusal.status} ${problem.title}`,
      'Content-Type: application/problem+json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `${REQUEST_ID_HEADER}: ${requestId}`,
      'Cache-Control: no-store',
      'X-Content-Type-Options: nosniff',
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}
