// Issue 13, "Payments, never a card number", through `npm start`: a card number sent to Parley in any field
// (JSON body, nested, grouped with spaces, query string, the Twilio-compatible API's form body) is refused
// with 400 CARD_NUMBER_REFUSED, and afterwards its digits are in no response, no log line of any process,
// no exported span, and no row of any database. The tokenised path works beside it: a card tokenised at
// the payment simulator is added, and a top-up credits the balance.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { freePort } from '../../tools/dev/src/ports';
import { gatewayCall, type Answer, type CallArgs } from '../support/http';
import { devCredentials, launch, untilReady, type Launch } from '../support/launcher';

const home = mkdtempSync(join(tmpdir(), 'parley-e2e-cards-'));
// A Luhn-valid test card number no other part of this suite uses, so finding it anywhere is this test's.
const PAN = '4000056655665556';
const GROUPED = '4000 0566 5566 5556';

describe('card numbers never reach Parley (npm start)', () => {
  let run: Launch;
  let dev: ReturnType<typeof devCredentials>;
  let collector: Server;
  /** Every OTLP/HTTP export the services sent (protobuf: strings travel as plain bytes). */
  const exported: Buffer[] = [];
  const answers: Answer[] = [];

  const api = async (...args: CallArgs) => {
    const answer = await gatewayCall({ baseUrl: dev.gatewayUrl }, ...args);
    answers.push(answer);
    return answer;
  };
  const fieldsOf = (answer: Answer) =>
    ((answer.body.errors ?? []) as { field: string }[]).map((e) => e.field);
  const holdsCard = (text: string) => text.includes(PAN) || text.includes(GROUPED);

  beforeAll(async () => {
    collector = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.url === '/v1/traces') exported.push(Buffer.concat(chunks));
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { port } = collector.address() as AddressInfo;
    run = launch(home, {
      PORT: String(await freePort()),
      LOG_LEVEL: 'debug',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    await untilReady(run, 120_000);
    dev = devCredentials(home);
  }, 150_000);

  afterAll(async () => {
    if (run && run.child.exitCode === null) {
      run.child.kill('SIGINT');
      await run.exited;
    }
    await new Promise<void>((resolve) => collector?.close(() => resolve()));
    rmSync(home, { recursive: true, force: true });
  });

  it('refuses a card number in a field of POST /v1/payment-methods, naming the field, never the digits', async () => {
    const nested = await api(
      'POST',
      '/v1/payment-methods',
      dev.apiKey,
      { token: 'tok_0123', billingDetails: { note: `card ${PAN}` } },
      { 'Idempotency-Key': randomUUID() },
    );
    expect(nested.status).toBe(400);
    expect(nested.body.code).toBe('CARD_NUMBER_REFUSED');
    expect(fieldsOf(nested)).toEqual(['billingDetails.note']);

    const asToken = await api('POST', '/v1/payment-methods', dev.apiKey, { token: PAN });
    expect(asToken.body.code).toBe('CARD_NUMBER_REFUSED');
    expect(fieldsOf(asToken)).toEqual(['token']);

    const grouped = await api('POST', '/v1/payment-methods', dev.apiKey, { card: { number: GROUPED } });
    expect(grouped.body.code).toBe('CARD_NUMBER_REFUSED');
    expect(fieldsOf(grouped)).toEqual(['card.number']);

    const inQuery = await api('GET', `/v1/payment-methods?card=${PAN}`, dev.apiKey);
    expect(inQuery.status).toBe(400);
    expect(fieldsOf(inQuery)).toEqual(['(query).card']);
  });

  it('refuses one in a form field of the Twilio-compatible API', async () => {
    const response = await fetch(
      `${dev.gatewayUrl}/2010-04-01/Accounts/${dev.twilioAccountSid}/Messages.json`,
      {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${dev.twilioAccountSid}:${dev.twilioAuthToken}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ To: '+14155550123', From: '+14155550100', Body: `my card ${GROUPED}` }),
      },
    );
    const text = await response.text();
    expect(response.status).toBe(400);
    expect(holdsCard(text)).toBe(false);
  });

  it('takes the tokenised card instead, and a top-up credits the balance', async () => {
    const simulator = dev.paymentSimulator!;
    const tokenised = await fetch(`${simulator.url}/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${simulator.publishableKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ card: { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' } }),
    });
    const { id: token } = (await tokenised.json()) as { id: string };
    const added = await api('POST', '/v1/payment-methods', dev.apiKey, { token });
    expect(added).toMatchObject({ status: 201, body: { brand: 'visa', last4: '4242', isDefault: true } });
    const topUp = await api(
      'POST',
      '/v1/top-ups',
      dev.apiKey,
      { amount: { currency: 'USD', minorUnits: '1000' } },
      { 'Idempotency-Key': randomUUID() },
    );
    expect(topUp).toMatchObject({ status: 201, body: { status: 'succeeded' } });
    // An amount past 15 digits (the fuzzer sent one beyond int64 and got a 500) is named, and charges nothing.
    const tooMuch = await api(
      'POST',
      '/v1/top-ups',
      dev.apiKey,
      { amount: { currency: 'USD', minorUnits: '9618602627025377236' } },
      { 'Idempotency-Key': randomUUID() },
    );
    expect(tooMuch).toMatchObject({
      status: 400,
      body: { code: 'VALIDATION_FAILED', errors: [{ field: 'amount.minorUnits' }] },
    });
    const balance = await api('GET', '/v1/balance', dev.apiKey);
    expect(balance.body.balanceMinor).toBe('1000');
  });

  it('leaves the digits in no response, no log line, no span and no table', async () => {
    for (const answer of answers) expect(holdsCard(JSON.stringify(answer.body))).toBe(false);

    // Spans of the refused requests were exported (the positive control), and none holds the digits.
    const deadline = Date.now() + 30_000;
    while (!Buffer.concat(exported).includes('/v1/payment-methods')) {
      if (Date.now() > deadline) throw new Error('no span of /v1/payment-methods was exported');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const spans = Buffer.concat(exported).toString('latin1');
    expect(holdsCard(spans)).toBe(false);

    // Every process's lines, the services' at debug level (the positive control: the gateway and billing spoke).
    expect(run.output()).toMatch(/^gateway\s+\| /m);
    expect(run.output()).toMatch(/^billing\s+\| /m);
    expect(holdsCard(run.output())).toBe(false);

    // Every text of every row of every database of the platform, as the superuser (no row-level security).
    const processes = JSON.parse(readFileSync(join(home, 'processes.json'), 'utf8')) as {
      name: string;
      pid: number;
    }[];
    const postgresPid = processes.find((entry) => entry.name === 'postgres')!.pid;
    const args = readFileSync(`/proc/${postgresPid}/cmdline`, 'utf8').split('\0');
    const port = args[args.indexOf('-p') + 1];
    const password = readFileSync(join(home, '.pg-admin-password'), 'utf8').trim();
    const admin = (database: string) =>
      new pg.Client({ host: '127.0.0.1', port: Number(port), user: 'parley_admin', password, database });
    const root = admin('postgres');
    await root.connect();
    const databases = (
      await root.query<{ datname: string }>('select datname from pg_database where not datistemplate')
    ).rows.map((row) => row.datname);
    await root.end();
    expect(databases).toEqual(expect.arrayContaining(['gateway', 'billing', 'identity', 'messaging']));
    let scanned = 0;
    for (const database of databases) {
      const client = admin(database);
      await client.connect();
      try {
        const tables = await client.query<{ schema: string; name: string }>(
          `select table_schema as schema, table_name as name from information_schema.tables
            where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`,
        );
        for (const { schema, name } of tables.rows) {
          const found = await client.query<{ n: number }>(
            `select count(*)::int as n from ${client.escapeIdentifier(schema)}.${client.escapeIdentifier(name)} t
              where regexp_replace(t::text, '[^0-9]', '', 'g') like $1`,
            [`%${PAN}%`],
          );
          expect({ table: `${database}.${schema}.${name}`, rows: found.rows[0]!.n }).toEqual({
            table: `${database}.${schema}.${name}`,
            rows: 0,
          });
          scanned += 1;
        }
      } finally {
        await client.end();
      }
    }
    expect(scanned).toBeGreaterThan(20);
  }, 60_000);
});
