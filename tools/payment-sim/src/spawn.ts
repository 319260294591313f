import { resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { spawnTool, type SpawnToolOptions } from '@parley/carrier-sim/src/spawn';

export interface SpawnedPaymentSim {
  /** Base URL (from its `listening` line). */
  url: string;
  child: ChildProcess;
  exited: Promise<void>;
  /** SIGTERM, then SIGKILL; idempotent. */
  stop(): Promise<void>;
}

/** Starts the payment simulator as its own process with `env` (PAYMENT_SIM_*) and waits until it listens. */
export async function spawnPaymentSim(options: SpawnToolOptions): Promise<SpawnedPaymentSim> {
  const { listening, child, exited, stop } = await spawnTool(
    'payment-sim',
    resolve(__dirname, '..'),
    (line) => (typeof line.url === 'string' ? line.url : undefined),
    options,
  );
  return { url: listening, child, exited, stop };
}
