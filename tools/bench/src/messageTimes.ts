// When each message of a run reached each stage, read from the platform's own databases as PostgreSQL's
// superuser (every tenant's rows): queued, sent (the SMSC took it), delivered (its receipt was processed) from
// messaging's status history, rated from billing's usage lines (the platform's line, seller 'platform').
import type { BenchPlatform } from './platform';

export const FINAL_STATUSES = new Set(['delivered', 'undelivered', 'failed', 'expired']);

export interface MessageTimes {
  status: string;
  /** Epoch ms of each stage, when reached. */
  queued?: number;
  sent?: number;
  delivered?: number;
  rated?: number;
}

/** Every message's status and stage times (ids not found are absent from the map). */
export async function messageTimes(
  platform: BenchPlatform,
  ids: string[],
): Promise<Map<string, MessageTimes>> {
  const found = new Map<string, MessageTimes>();
  const messaging = await platform.admin('messaging');
  try {
    const { rows } = await messaging.query<{ id: string; status: string }>(
      'select id::text, status from messages where id = any($1::uuid[])',
      [ids],
    );
    for (const row of rows) found.set(row.id, { status: row.status });
    const history = await messaging.query<{ id: string; status: string; at: string }>(
      `select message_id::text as id, status, min(extract(epoch from at) * 1000)::float8::text as at
         from message_status_history where message_id = any($1::uuid[]) and status in ('queued', 'sent', 'delivered')
        group by message_id, status`,
      [ids],
    );
    for (const row of history.rows) {
      const times = found.get(row.id);
      if (times) times[row.status as 'queued' | 'sent' | 'delivered'] = Number(row.at);
    }
  } finally {
    await messaging.end();
  }
  const billing = await platform.admin('billing');
  try {
    const { rows: seller } = await billing.query(
      "select 1 from information_schema.columns where table_name = 'usage_records' and column_name = 'seller'",
    );
    // Where usage lines name their seller, a resold account's message also has the tenant's own line.
    const { rows } = await billing.query<{ reference: string; at: string }>(
      `select reference, min(extract(epoch from rated_at) * 1000)::float8::text as at from usage_records
        where source_type = 'messaging.message.sent' and reference = any($1::text[])
        ${seller.length > 0 ? "and seller = 'platform'" : ''} group by reference`,
      [ids],
    );
    for (const row of rows) {
      const times = found.get(row.reference);
      if (times) times.rated = Number(row.at);
    }
  } finally {
    await billing.end();
  }
  return found;
}

/** How many of `ids` are final, and how many rated, right now. */
export async function progress(platform: BenchPlatform, ids: string[]) {
  const times = await messageTimes(platform, ids);
  let final = 0;
  let rated = 0;
  let sent = 0;
  for (const message of times.values()) {
    if (FINAL_STATUSES.has(message.status)) final++;
    if (message.rated !== undefined) rated++;
    if (message.sent !== undefined) sent++;
  }
  return { final, rated, sent };
}
