import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  body: string;
  signature: string | undefined;
}

/** A merchant's webhook endpoint for tests: keeps what arrives, answers `status` (200 unless changed). */
export async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  answer: (status: number) => void;
  waitFor: (count: number) => Promise<Received[]>;
  close: () => Promise<void>;
}> {
  const received: Received[] = [];
  const waiters: (() => void)[] = [];
  let status = 200;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (status === 200) {
        received.push({
          body: Buffer.concat(chunks).toString('utf8'),
          signature: request.headers['payment-sim-signature'] as string | undefined,
        });
        waiters.splice(0).forEach((wake) => wake());
      }
      response.statusCode = status;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    received,
    answer: (next) => {
      status = next;
    },
    waitFor: async (count) => {
      while (received.length < count) await new Promise<void>((wake) => waiters.push(wake));
      return received;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
