import { randomBytes } from 'node:crypto';
import { spawnCarrierSim, type AcceptedMessage, type CallDetailRecord } from '@parley/carrier-sim';

export interface CarrierSimHandle {
  /** Base URL of the simulator's HTTP API. */
  url: string;
  /** What NUMBER_SUPPLIER_API_KEY must be. */
  apiKey: string;
  /** The secret its callbacks are signed with (tools/carrier-sim/README.md, "Callbacks"). */
  callbackSecret: string;
  /** NUMBER_SUPPLIER* variables for numbering. */
  env: Record<string, string>;
  /** Its SMSC: where an ESME binds, with the account's credentials (tools/carrier-sim/README.md, "SMSC"). */
  smpp: { host: string; port: number; systemId: string; password: string };
  /**
   * SMPP_HOST, SMPP_PORT, SMPP_SYSTEM_ID and SMPP_PASSWORD for messaging's SMPP client, and
   * CARRIER_CALLBACK_SECRET / CARRIER_CALLBACK_PORT for its CDR endpoint, CARRIER_API_URL / CARRIER_API_KEY
   * for deleting recordings.
   */
  messagingEnv: Record<string, string>;
  /** A mobile-originated message, delivered as deliver_sm to a bound receiver (queued until one binds). */
  inbound(message: { from: string; to: string; text: string }): Promise<{ id: string; parts: number }>;
  /** What the SMSC received and sent (submits accepted, messages, duplicates, receipts, ...). */
  smscCounters(): Promise<Record<string, number>>;
  /** The messages the SMSC accepted (parts joined), to one destination or all. */
  smscMessages(filter?: { to?: string; limit?: number }): Promise<AcceptedMessage[]>;
  /**
   * Makes the carrier carry a call and post its call detail record, signed, to `callbackUrl` (`copies`
   * times: a resend). Answers the record sent (tools/carrier-sim/README.md, "Calls").
   */
  placeCall(call: PlaceCallRequest): Promise<{ eventId: string; cdr: CallDetailRecord }>;
  /** Every API answer is 503 + Retry-After until then; orders placed before complete after it ends. */
  outage(seconds: number): Promise<void>;
  clearOutage(): Promise<void>;
  /** Orders placed, numbers sold, ... (for exactly-once proofs). */
  counters(): Promise<Record<string, number>>;
  /** Stops the process (SIGTERM, then SIGKILL). Idempotent. */
  stop(): Promise<void>;
}

export interface PlaceCallRequest {
  callbackUrl: string;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  forwardedTo?: string;
  callerId?: string;
  externalCallerId?: string;
  disposition?: 'answered' | 'busy' | 'no_answer' | 'failed';
  durationSeconds?: number;
  clientIp?: string;
  recording?: {
    kind?: 'recording' | 'voicemail';
    durationSeconds: number;
    channels?: 1 | 2;
    consent?: boolean;
  };
  copies?: number;
}

export interface CarrierSimOptions {
  /** How long an order stays pending (default 200 ms). */
  orderDelayMs?: number;
  /** How long a port-in stays in each state (default 300 ms). */
  portStepMs?: number;
  /** How long a `…9992` request is held before the simulator answers 504 (default 30 s). */
  holdMs?: number;
  /** Before every submit_sm_resp (default 5 ms). */
  smppLatencyMs?: number;
  /** From submit_sm_resp to its delivery receipt (default 50 ms). */
  dlrDelayMs?: number;
  /** Any other CARRIER_SIM_* variable. */
  env?: Record<string, string>;
}

/**
 * Spawns the carrier simulator (tools/carrier-sim) as its own process on a free loopback port and waits
 * until it listens. Defaults are fast, for tests.
 */
export async function startCarrierSim(options: CarrierSimOptions = {}): Promise<CarrierSimHandle> {
  const apiKey = `sim_${randomBytes(18).toString('base64url')}`;
  const callbackSecret = randomBytes(24).toString('base64url');
  // SMPP 3.4 passwords are at most 8 characters.
  const smppPassword = randomBytes(6).toString('base64url');
  const smppSystemId = 'parley';
  const sim = await spawnCarrierSim({
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      CARRIER_SIM_HOST: '127.0.0.1',
      CARRIER_SIM_PORT: '0',
      CARRIER_SIM_API_KEY: apiKey,
      CARRIER_SIM_CALLBACK_SECRET: callbackSecret,
      CARRIER_SIM_ORDER_DELAY_MS: String(options.orderDelayMs ?? 200),
      CARRIER_SIM_PORT_STEP_MS: String(options.portStepMs ?? 300),
      CARRIER_SIM_HOLD_MS: String(options.holdMs ?? 30_000),
      CARRIER_SIM_CALLBACK_RETRY_MS: '50',
      CARRIER_SIM_SMPP_PORT: '0',
      CARRIER_SIM_SMPP_SYSTEM_ID: smppSystemId,
      CARRIER_SIM_SMPP_PASSWORD: smppPassword,
      CARRIER_SIM_SMPP_LATENCY_MS: String(options.smppLatencyMs ?? 5),
      CARRIER_SIM_SMPP_RETRY_MS: '500',
      CARRIER_SIM_DLR_DELAY_MS: String(options.dlrDelayMs ?? 50),
      CARRIER_SIM_DLR_SLOW_MS: '2000',
      ...options.env,
    },
  });
  const { url } = sim;

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok) throw new Error(`carrier-sim ${method} ${path}: ${response.status}`);
    return response.status === 204 ? undefined : ((await response.json()) as { data: unknown }).data;
  };
  const control = (method: string, path: string, body?: unknown) => call(method, `/control${path}`, body);
  const smpp = { ...sim.smpp, systemId: smppSystemId, password: smppPassword };

  return {
    url,
    apiKey,
    callbackSecret,
    env: {
      NUMBER_SUPPLIER: 'carrier-sim',
      NUMBER_SUPPLIER_URL: url,
      NUMBER_SUPPLIER_API_KEY: apiKey,
      // Short, so a test of the `…9992` magic number (the supplier never answers) does not wait long.
      NUMBER_SUPPLIER_TIMEOUT_MS: '2000',
    },
    smpp,
    messagingEnv: {
      SMPP_HOST: smpp.host,
      SMPP_PORT: String(smpp.port),
      SMPP_SYSTEM_ID: smpp.systemId,
      SMPP_PASSWORD: smpp.password,
      // Its call detail records (POST /control/calls) are signed with its callback secret; any free port.
      CARRIER_CALLBACK_SECRET: callbackSecret,
      CARRIER_CALLBACK_PORT: '0',
      // Where an erasure deletes recordings' media.
      CARRIER_API_URL: url,
      CARRIER_API_KEY: apiKey,
    },
    inbound: async (message) =>
      (await call('POST', '/smsc/inbound', message)) as { id: string; parts: number },
    smscCounters: async () => (await call('GET', '/smsc/counters')) as Record<string, number>,
    smscMessages: async (filter = {}) => {
      const query = new URLSearchParams();
      if (filter.to) query.set('to', filter.to);
      if (filter.limit) query.set('limit', String(filter.limit));
      return (await call('GET', `/smsc/messages?${query}`)) as AcceptedMessage[];
    },
    placeCall: async (request) =>
      (await control('POST', '/calls', request)) as { eventId: string; cdr: CallDetailRecord },
    outage: async (seconds) => {
      await control('POST', '/outage', { seconds });
    },
    clearOutage: async () => {
      await control('DELETE', '/outage');
    },
    counters: async () => (await control('GET', '/counters')) as Record<string, number>,
    stop: () => sim.stop(),
  };
}
