import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger, type Caller } from '@parley/kit';
import { route } from './route';
import { createHttpApp, listen, close, type AccessEntry } from './server';
import { z } from './zod';

const PAN = '4242424242424242';

describe('the card-number guard (CARD_NUMBER_REFUSED)', () => {
  let server: Server;
  let baseUrl = '';
  const handled: unknown[] = [];
  const accessed: AccessEntry[] = [];

  beforeAll(async () => {
    const caller: Caller = { tenantId: 'acme', principal: 'key:1', scopes: ['*'] };
    const echo = route({
      method: 'post',
      path: '/v1/echo',
      operationId: 'echo',
      summary: 'echo',
      tags: ['test'],
      scope: 'billing:write',
      body: z.record(z.string(), z.unknown()),
      response: { status: 200, description: 'echo', schema: z.record(z.string(), z.unknown()) },
      handler: async ({ body }) => {
        handled.push(body);
        return { ok: true };
      },
    });
    const app = createHttpApp({
      routes: [echo],
      openApiDocument: () => ({}),
      authenticate: async (credential) => {
        if (credential !== 'good') throw new Error('bad credential');
        return caller;
      },
      recordAccess: (entry) => accessed.push(entry),
      log: createLogger({ service: 'gateway', version: 'test', level: 'silent' }),
    });
    server = await listen(app, 0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await close(server, 1000);
  });

  const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: 'Bearer good', 'content-type': 'application/json', ...headers },
      body,
    });
    const text = await response.text();
    return {
      status: response.status,
      text,
      body: JSON.parse(text) as { code?: string; errors?: { field: string }[] },
    };
  };

  it('refuses a card number anywhere in the body, naming each field and never the digits', async () => {
    const answer = await post(
      '/v1/echo',
      JSON.stringify({ to: '+14155550123', card: { number: '4242 4242 4242 4242' }, notes: [`pay ${PAN}`] }),
    );
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('CARD_NUMBER_REFUSED');
    expect(answer.body.errors!.map((error) => error.field)).toEqual(['card.number', 'notes.0']);
    expect(answer.text).not.toContain('4242');
    expect(handled).toEqual([]);
  });

  it('refuses one written as a JSON number too long for a double, from the raw body', async () => {
    const answer = await post('/v1/echo', '{"amount": 4000000000000000006}');
    expect(answer.body.code).toBe('CARD_NUMBER_REFUSED');
    expect(answer.body.errors!.map((error) => error.field)).toEqual(['(body)']);
  });

  it('refuses one in the query or the path before authentication: not even the access log sees it', async () => {
    const before = accessed.length;
    const inQuery = await post(`/v1/echo?q=${PAN}`, '{}', { authorization: 'Bearer nobody' });
    expect(inQuery.status).toBe(400);
    expect(inQuery.body.errors!.map((error) => error.field)).toEqual(['(query).q']);
    const inPath = await post(`/v1/cards/${PAN}`, '{}');
    expect(inPath.status).toBe(400);
    expect(inPath.body.errors!.map((error) => error.field)).toEqual(['(path)']);
    expect(inPath.text).not.toContain(PAN);
    const grouped = await post('/v1/cards/4242%204242%204242%204242', '{}');
    expect(grouped.status).toBe(400);
    expect(grouped.text).not.toMatch(/4242/);
    expect(accessed.length).toBe(before);
  });

  it('lets phone numbers, ids and amounts through', async () => {
    const answer = await post(
      '/v1/echo',
      JSON.stringify({
        to: '+4915123456789',
        from: '+14155550123',
        id: '0f8e4d1c-2b3a-4c5d-9e6f-7a8b9c0d1e2f',
        amount: 2500,
      }),
    );
    expect(answer.status).toBe(200);
    expect(handled).toHaveLength(1);
  });
});
