// Open-loop load: requests go out on a fixed schedule whether or not earlier ones were answered, so a slow
// platform shows up as latency (measured from when each request was due) and not as a lower offered rate.
import { performance } from 'node:perf_hooks';

/** Milliseconds since the epoch, with the fraction performance.now() gives (comparable to PostgreSQL's clock). */
export const epochMs = () => performance.timeOrigin + performance.now();

export interface Shot {
  index: number;
  /** When it was due and when its answer came (epoch ms). */
  dueAt: number;
  doneAt: number;
  /** The HTTP status, or 0 when there was none (connection refused, timeout, over the in-flight bound). */
  status: number;
  id?: string;
  code?: string;
}

export interface OpenLoopOptions {
  perSecond: number;
  durationMs: number;
  /** Sends waiting for their answer at most; one due beyond it is not sent and counts as an error. */
  maxInFlight: number;
  fire: (index: number) => Promise<{ status: number; id?: string; code?: string }>;
  /** The index of the first send (each load its own range: recipients derive from it). */
  firstIndex?: number;
}

/** Sends `perSecond` × `durationMs` requests on schedule and returns every one once all were answered. */
export async function openLoop(options: OpenLoopOptions): Promise<Shot[]> {
  const count = Math.round((options.perSecond * options.durationMs) / 1000);
  const interval = 1000 / options.perSecond;
  const started = epochMs();
  const shots: Promise<Shot>[] = [];
  let inFlight = 0;
  for (let sent = 0; sent < count;) {
    const now = epochMs();
    for (; sent < count && started + sent * interval <= now; sent++) {
      const index = (options.firstIndex ?? 0) + sent;
      const dueAt = started + sent * interval;
      if (inFlight >= options.maxInFlight) {
        shots.push(Promise.resolve({ index, dueAt, doneAt: dueAt, status: 0, code: 'IN_FLIGHT_BOUND' }));
        continue;
      }
      inFlight++;
      shots.push(
        options
          .fire(index)
          .catch(() => ({ status: 0, code: 'NO_ANSWER' }))
          .then((answer) => {
            inFlight--;
            return { index, dueAt, doneAt: epochMs(), ...answer };
          }),
      );
    }
    if (sent < count)
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, started + sent * interval - epochMs())));
  }
  return Promise.all(shots);
}

/** Answered 2xx with a message id. */
export const acceptedShot = (shot: Shot): shot is Shot & { id: string } =>
  shot.status >= 200 && shot.status < 300 && shot.id !== undefined;
