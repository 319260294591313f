import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as received (what a signature covers). */
  body: string;
}

export interface WebhookReceiver {
  /** http://127.0.0.1:<port>/hook */
  url: string;
  port: number;
  received: ReceivedWebhook[];
  /**
   * The status the receiver answers the n-th request (0-based) with, or undefined to never answer it (the
   * sender is left waiting); change it at any time.
   */
  answer: (index: number) => number | undefined;
  /** Extra headers of the answer (e.g. a Location for a redirect). */
  answerHeaders: Record<string, string>;
  close(): Promise<void>;
}

/** A real HTTP server on loopback standing in for a tenant's webhook endpoint. */
export async function startWebhookReceiver(
  answer: (index: number) => number = () => 200,
): Promise<WebhookReceiver> {
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const index = receiver.received.length;
      receiver.received.push({ headers: request.headers, body });
      const status = receiver.answer(index);
      if (status !== undefined) response.writeHead(status, receiver.answerHeaders).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const receiver: WebhookReceiver = {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received: [],
    answer,
    answerHeaders: {},
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}
