// Bulk seeding for the data-subject and retention benchmarks: rows in the shape messaging and billing write
// them, inserted with generate_series through a superuser client (row-level security does not apply), so a
// million messages take seconds instead of a million API calls. See tools/bench/README.md.
import { monthStart, partitionName } from '@parley/kit';
import type pg from 'pg';

/** Rows per INSERT statement: large enough to be fast, small enough to keep one statement's memory bounded. */
const BATCH = 200_000;

/**
 * Creates the monthly partitions of `table` holding `months` (first days, UTC) as the kit's
 * `ensurePartitions` does: `<table>_pYYYYMM`, the month's bounds, row-level security enabled and forced with
 * no policy (every access goes through the parent), owned by the service's role (the parent's owner), which
 * created them in a platform that has run for a year. The kit only creates the current month and those
 * after it, so a benchmark of old data creates the older ones.
 */
export async function ensureMonths(client: pg.Client, table: string, months: Date[]): Promise<void> {
  const { rows } = await client.query<{ owner: string }>(
    `select pg_get_userbyid(relowner) as owner from pg_class
      where relname = $1 and relnamespace = to_regnamespace(current_schema())`,
    [table],
  );
  const owner = rows[0]?.owner;
  if (!owner) throw new Error(`table ${table} does not exist`);
  for (const month of months) {
    const name = partitionName(table, month);
    const next = monthStart(month, 1);
    await client.query(
      `create table if not exists ${name} partition of ${table}
         for values from ('${month.toISOString()}') to ('${next.toISOString()}')`,
    );
    await client.query(`alter table ${name} enable row level security`);
    await client.query(`alter table ${name} force row level security`);
    await client.query(`alter table ${name} owner to "${owner}"`);
  }
}

/** The first days of the `count` months ending with the one `offset` months from now (offset <= 0). */
export function monthsBack(count: number, offset = 0): Date[] {
  return Array.from({ length: count }, (_, index) => monthStart(new Date(), offset - index));
}

export interface MessageSeed {
  tenantId: string;
  /** SQL over the row index `i`: the handset on the other side of each message (a quoted phone, say). */
  subjectSql: string;
  /** The tenant's number that sent or received them. */
  tenantNumber: string;
  count: number;
  /** Created-at times are spread evenly over [from, to). */
  from: Date;
  to: Date;
  /** Each message's status history too (outbound: queued, sending, sent, delivered; inbound: received). */
  history: boolean;
  /**
   * Bodies on the delivered ones (default true). False: emptied, as messaging's content retention leaves
   * finished messages by default; with bodies, its sweep empties every seeded message while a benchmark runs.
   */
  content?: boolean;
}

/**
 * Messages as messaging stores them, in the partitions of their created_at: two outbound (delivered) to one
 * inbound (received), a GSM-7 body of one segment, the carrier's id on the outbound ones. Returns the rows
 * PostgreSQL reports inserted (not the count asked for), so a caller can tell a short seed from a short count.
 */
export async function seedMessages(client: pg.Client, seed: MessageSeed): Promise<number> {
  const span = seed.to.getTime() - seed.from.getTime();
  let inserted = 0;
  for (let first = 0; first < seed.count; first += BATCH) {
    const last = Math.min(seed.count, first + BATCH) - 1;
    const insertMessages = `
      insert into messages (tenant_id, id, direction, from_e164, to_e164, body, encoding, segments, status,
                            carrier_message_ids, sender_class, expires_at, created_at, updated_at)
      select $1, gen_random_uuid(), d.direction,
             case d.direction when 'outbound' then $2 else ${seed.subjectSql} end,
             case d.direction when 'outbound' then ${seed.subjectSql} else $2 end,
             case when d.direction = 'inbound' or $8::boolean
                  then 'Your code is ' || lpad((i % 1000000)::text, 6, '0') || '. Reply STOP to opt out.' end,
             'GSM-7', 1, case d.direction when 'outbound' then 'delivered' else 'received' end,
             case d.direction when 'outbound' then array['sim-' || i] else '{}' end,
             case d.direction when 'outbound' then 'long_code' end,
             t.at + interval '1 day', t.at, t.at + interval '4 seconds'
        from generate_series($3::int, $4::int) i,
             lateral (select case when i % 3 = 2 then 'inbound' else 'outbound' end as direction) d,
             lateral (select $5::timestamptz + (i::float8 / $6::float8) * ($7::float8 * interval '1 millisecond') as at) t`;
    const params = [
      seed.tenantId,
      seed.tenantNumber,
      first,
      last,
      seed.from.toISOString(),
      seed.count,
      span,
      seed.content ?? true,
    ];
    if (!seed.history) {
      inserted += (await client.query(insertMessages, params)).rowCount ?? 0;
      continue;
    }
    // The history is written by a data-modifying WITH (always run to completion); the messages are counted.
    const { rows } = await client.query<{ n: number }>(
      `with m as (${insertMessages} returning tenant_id, id, created_at, direction),
       h as (
         insert into message_status_history (tenant_id, message_id, message_created_at, seq, status, at)
         select m.tenant_id, m.id, m.created_at, s.seq, s.status, m.created_at + s.seq * interval '1 second'
           from m join (values (1, 'queued', 'outbound'), (2, 'sending', 'outbound'), (3, 'sent', 'outbound'),
                               (4, 'delivered', 'outbound'), (1, 'received', 'inbound')) s(seq, status, direction)
             on s.direction = m.direction)
       select count(*)::int as n from m`,
      params,
    );
    inserted += rows[0]!.n;
  }
  return inserted;
}

/** Call records (answered, 1-10 minutes; every fifth one missed), half made by the subject, half to them. */
export async function seedCalls(
  client: pg.Client,
  seed: { tenantId: string; subject: string; tenantNumber: string; count: number; from: Date; to: Date },
): Promise<number> {
  const span = seed.to.getTime() - seed.from.getTime();
  await client.query(
    `insert into calls (tenant_id, id, carrier_call_id, direction, from_e164, to_e164, started_at, answered_at,
                        ended_at, duration_seconds, disposition, recorded_at)
     select $1, gen_random_uuid(), 'bench-call-' || i, d.direction,
            case d.direction when 'inbound' then $3 else $2 end,
            case d.direction when 'inbound' then $2 else $3 end,
            t.at, case when i % 5 = 0 then null else t.at + interval '5 seconds' end,
            t.at + (case when i % 5 = 0 then 30 else 60 + i % 540 end) * interval '1 second',
            case when i % 5 = 0 then 0 else 55 + i % 540 end,
            case when i % 5 = 0 then 'no_answer' else 'answered' end, t.at
       from generate_series(0, $4::int - 1) i,
            lateral (select case when i % 2 = 0 then 'inbound' else 'outbound' end as direction) d,
            lateral (select $5::timestamptz + (i::float8 / $4::float8) * ($6::float8 * interval '1 millisecond') as at) t`,
    [seed.tenantId, seed.tenantNumber, seed.subject, seed.count, seed.from.toISOString(), span],
  );
  return seed.count;
}

/**
 * Issued invoices of the tenant (one per month, `lines` spread over them), each line a message to or from
 * the subject, as billing's invoice run writes them. Returns the invoices made.
 */
export async function seedInvoiceLines(
  client: pg.Client,
  seed: { tenantId: string; subject: string; tenantNumber: string; lines: number; months: Date[] },
): Promise<number> {
  const perInvoice = Math.ceil(seed.lines / seed.months.length);
  let made = 0;
  for (const [index, month] of seed.months.entries()) {
    const lines = Math.min(perInvoice, seed.lines - index * perInvoice);
    if (lines <= 0) break;
    const period = month.toISOString().slice(0, 7);
    const party = JSON.stringify({ name: 'Bench Ltd', address: '1 Loopback Road', country: 'GB', taxId: '' });
    await client.query(
      `with invoice as (
         insert into invoices (id, tenant_id, account_id, kind, period, number, state, currency, subtotals,
                               subtotal_minor, tax_minor, total_minor, line_count, seller, buyer, issued_at, due_at)
         values (gen_random_uuid(), $1, '', 'invoice', $2::text, 'BENCH-' || replace($2::text, '-', '') || '-0001', 'issued',
                 'USD', jsonb_build_object('sms', $3::bigint), $3::bigint, 0, $3::bigint, $3,
                 $4::jsonb, $4::jsonb, $5::timestamptz + interval '1 month', $5::timestamptz + interval '2 months')
         returning id)
       insert into invoice_lines (invoice_id, line_no, tenant_id, category, usage_id, reference, occurred_at,
                                  party_from, party_to, country, quantity, unit, unit_price, amount_minor)
       select invoice.id, i, $1, 'sms', gen_random_uuid(), gen_random_uuid()::text,
              $5::timestamptz + (i::float8 / $3::float8) * interval '27 days',
              case when i % 2 = 0 then $6 else $7 end, case when i % 2 = 0 then $7 else $6 end,
              'GB', 1, 'segment', 0.01, 1
         from invoice, generate_series(1, $3::int) i`,
      [seed.tenantId, period, lines, party, month.toISOString(), seed.tenantNumber, seed.subject],
    );
    made++;
  }
  return made;
}
