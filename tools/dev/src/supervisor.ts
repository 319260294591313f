/**
 * When to restart a crashed service, the way a process supervisor decides (supervisord's `startretries`,
 * systemd's `StartLimitBurst` within `StartLimitIntervalSec`): restart after a delay that doubles with each
 * crash, and give up once a service has crashed more than `maxRestarts` times within `windowMs`, because
 * then it will not come up by itself and restarting it only hides the error.
 */
export interface RestartPolicyOptions {
  /** Restarts allowed within the window; the crash after them gives up. */
  maxRestarts: number;
  windowMs: number;
  /** Delay before the first restart in the window; each further crash in the window doubles it. */
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEV_RESTART_POLICY: RestartPolicyOptions = {
  maxRestarts: 3,
  windowMs: 60_000,
  firstDelayMs: 1_000,
  maxDelayMs: 30_000,
};

export type CrashDecision =
  | { action: 'restart'; delayMs: number; /** 1 for the first restart in the window */ restart: number }
  | { action: 'give-up'; crashes: number };

/** Crash history of one service; `crashed` records a crash and says what to do about it. */
export class RestartPolicy {
  private crashes: number[] = [];

  constructor(readonly options: RestartPolicyOptions = DEV_RESTART_POLICY) {}

  crashed(now: number): CrashDecision {
    const { maxRestarts, windowMs, firstDelayMs, maxDelayMs } = this.options;
    this.crashes = this.crashes.filter((at) => now - at < windowMs);
    this.crashes.push(now);
    const restart = this.crashes.length;
    if (restart > maxRestarts) return { action: 'give-up', crashes: restart };
    return { action: 'restart', delayMs: Math.min(maxDelayMs, firstDelayMs * 2 ** (restart - 1)), restart };
  }
}
