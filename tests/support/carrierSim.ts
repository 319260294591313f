import { randomBytes } from 'node:crypto';
import { spawnCarrierSim } from '@parley/carrier-sim';

export interface CarrierSimHandle {
  /** Base URL of the simulator's HTTP API. */
  url: string;
  /** What NUMBER_SUPPLIER_API_KEY must be. */
  apiKey: string;
  /** The secret its callbacks are signed with (tools/carrier-sim/README.md, "Callbacks"). */
  callbackSecret: string;
  /** NUMBER_SUPPLIER* variables for numbering. */
  env: Record<string, string>;
  /** Every API answer is 503 + Retry-After until then; orders placed before complete after it ends. */
  outage(seconds: number): Promise<void>;
  clearOutage(): Promise<void>;
  /** Orders placed, numbers sold, ... (for exactly-once proofs). */
  counters(): Promise<Record<string, number>>;
  /** Stops the process (SIGTERM, then SIGKILL). Idempotent. */
  stop(): Promise<void>;
}

export interface CarrierSimOptions {
  /** How long an order stays pending (default 200 ms). */
  orderDelayMs?: number;
  /** How long a port-in stays in each state (default 300 ms). */
  portStepMs?: number;
  /** How long a `…9992` request is held before the simulator answers 504 (default 30 s). */
  holdMs?: number;
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
      ...options.env,
    },
  });
  const { url } = sim;

  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}/control${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok) throw new Error(`carrier-sim ${method} /control${path}: ${response.status}`);
    return response.status === 204 ? undefined : ((await response.json()) as { data: unknown }).data;
  };

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
