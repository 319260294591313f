import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isPublicAddress } from './addresses';
import { postWebhook, webhookUrlProblem } from './poster';

/** A real receiver on loopback that records what reached it. */
async function receiver(answer: (request: IncomingMessage, response: ServerResponse) => void) {
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      answer(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { port: (server.address() as AddressInfo).port, received };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const dev = { allowPrivate: true, timeoutMs: 2_000 };
const strict = { allowPrivate: false, timeoutMs: 2_000 };

describe('postWebhook', () => {
  it('delivers the body and headers and reports a 2xx as delivered', async () => {
    const target = await receiver((_, response) => response.writeHead(204).end());
    const result = await postWebhook(
      `http://127.0.0.1:${target.port}/hook`,
      '{"a":1}',
      { 'webhook-id': 'x' },
      dev,
    );
    expect(result).toEqual({ ok: true, status: 204 });
    expect(target.received).toEqual([
      {
        headers: expect.objectContaining({ 'webhook-id': 'x', 'content-type': 'application/json' }),
        body: '{"a":1}',
      },
    ]);
  });

  it('reports another status as a failure with its code, without reading a large body', async () => {
    const target = await receiver((_, response) => {
      response.writeHead(500);
      response.end('x'.repeat(5_000_000));
    });
    const result = await postWebhook(`http://127.0.0.1:${target.port}/`, '{}', {}, dev);
    expect(result).toEqual({ ok: false, status: 500, failure: 'http_status' });
  });

  it('does not follow a redirect, so a redirect to an internal address reaches nothing', async () => {
    const internal = await receiver((_, response) => response.writeHead(200).end());
    const redirecting = await receiver((_, response) =>
      response.writeHead(307, { location: `http://127.0.0.1:${internal.port}/admin` }).end(),
    );
    const result = await postWebhook(`http://127.0.0.1:${redirecting.port}/`, '{}', {}, dev);
    expect(result).toEqual({ ok: false, status: 307, failure: 'redirect' });
    expect(internal.received).toHaveLength(0);
  });

  it('gives up at the deadline when the receiver does not answer', async () => {
    const target = await receiver(() => undefined);
    const result = await postWebhook(
      `http://127.0.0.1:${target.port}/`,
      '{}',
      {},
      { ...dev, timeoutMs: 200 },
    );
    expect(result).toEqual({ ok: false, failure: 'timeout' });
  });

  it('reports a closed port as a connection failure', async () => {
    const target = await receiver(() => undefined);
    servers.pop()!.close();
    const result = await postWebhook(`http://127.0.0.1:${target.port}/`, '{}', {}, dev);
    expect(result).toEqual({ ok: false, failure: 'connection' });
  });

  describe('outside dev mode', () => {
    it.each(['127.0.0.1', '[::ffff:127.0.0.1]', '[::1]', '169.254.169.254', '10.0.0.1', '0.0.0.0'])(
      'refuses the literal address %s without connecting',
      async (host) => {
        const target = await receiver((_, response) => response.writeHead(200).end());
        const result = await postWebhook(`http://${host}:${target.port}/`, '{}', {}, strict);
        expect(result).toEqual({ ok: false, failure: 'address_refused' });
        expect(target.received).toHaveLength(0);
      },
    );

    it('refuses a host name that resolves to loopback (localhost), after resolving it', async () => {
      const target = await receiver((_, response) => response.writeHead(200).end());
      expect(webhookUrlProblem(`http://localhost:${target.port}/`, strict)).toBeUndefined();
      const result = await postWebhook(`http://localhost:${target.port}/`, '{}', {}, strict);
      expect(result).toEqual({ ok: false, failure: 'address_refused' });
      expect(target.received).toHaveLength(0);
    });

    it('reports a host name that does not resolve as a DNS failure', async () => {
      const result = await postWebhook('http://no-such-host.invalid/', '{}', {}, strict);
      expect(result).toEqual({ ok: false, failure: 'dns' });
    });
  });
});

describe('webhookUrlProblem', () => {
  it.each([
    ['ftp://example.com/', /http/],
    ['not a url', /absolute URL/],
    ['https://user:pw@example.com/', /user name/],
    ['http://127.0.0.1/', /internal address/],
    ['http://[fd00:ec2::254]/', /internal address/],
  ])('refuses %s', (url, problem) => {
    expect(webhookUrlProblem(url, strict)).toMatch(problem);
  });

  it('accepts a public https URL, and a loopback one in dev mode', () => {
    expect(webhookUrlProblem('https://hooks.example.com/parley', strict)).toBeUndefined();
    expect(webhookUrlProblem('http://127.0.0.1:8080/', dev)).toBeUndefined();
  });
});

describe('isPublicAddress', () => {
  it.each(['8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8'])('allows %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '100.64.0.1',
    '100.100.100.200',
    '169.254.169.254',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '198.18.0.1',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd00:ec2::254',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '64:ff9b::7f00:1',
    '2002:7f00:1::',
    'not-an-address',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });
});
