// The steady load a drill runs under: sends at a fixed rate through the gateway, each send retried with
// its own Idempotency-Key until the platform gives a definite answer, as a careful client does.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { postMessage, recipient, type Dev } from '../platform';

/**
 * Calls `fire` `perSecond` times a second, on schedule: a late timer catches up with the calls it owes
 * rather than drifting. Returns the function that stops it.
 */
export function pace(perSecond: number, fire: () => void): () => void {
  const interval = 1000 / perSecond;
  let due = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    while (due <= performance.now()) {
      fire();
      due += interval;
    }
    timer = setTimeout(tick, Math.max(1, due - performance.now()));
  };
  tick();
  return () => clearTimeout(timer);
}

export interface AcceptedSend {
  id: string;
  /** When the request that got the 202 was first sent (ms since the epoch). */
  firstTriedAt: number;
  acceptedAt: number;
}

/** How long one send is retried before it counts as unanswered. */
const SEND_GIVE_UP_MS = 180_000;
/** Answers that mean "try the same request again later". */
const RETRYABLE = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

export class SteadyLoad {
  readonly accepted: AcceptedSend[] = [];
  /** Definite refusals (4xx other than "try again"), by status and code. */
  readonly refused: { status: number; code: string }[] = [];
  /** Sends the platform never answered with anything definite within SEND_GIVE_UP_MS. */
  unanswered = 0;
  /** Attempts that failed and were retried (connection refused, 503 while a service restarts, ...). */
  retries = 0;
  private stopPacing?: () => void;
  private readonly inFlight = new Set<Promise<void>>();
  private next = 0;

  constructor(
    private readonly dev: Dev,
    private readonly senders: string[],
    private readonly perSecond: number,
    private readonly statusCallback: string,
    /** Recipients of this load start at this index (every drill its own, so the carrier's counts tell them apart). */
    private readonly firstIndex: number,
  ) {}

  start(): void {
    this.stopPacing = pace(this.perSecond, () => {
      const sending = this.send(this.firstIndex + this.next++);
      this.inFlight.add(sending);
      void sending.finally(() => this.inFlight.delete(sending));
    });
  }

  /** Stops starting sends and waits for those under way to get their definite answer. */
  async stop(): Promise<void> {
    this.stopPacing?.();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** The first acceptance of a send first tried after `at`: when the API took traffic again. */
  firstAcceptedAfter(at: number): number | undefined {
    let first: number | undefined;
    for (const send of this.accepted)
      if (send.firstTriedAt > at && (first === undefined || send.acceptedAt < first)) first = send.acceptedAt;
    return first;
  }

  private async send(index: number): Promise<void> {
    const key = randomUUID();
    const message = {
      from: this.senders[index % this.senders.length]!,
      to: recipient(index),
      body: `drill ${index}`,
      statusCallback: this.statusCallback,
    };
    const firstTriedAt = Date.now();
    for (let attempt = 0; Date.now() - firstTriedAt < SEND_GIVE_UP_MS; attempt++) {
      // Backing off as a careful client does (doubling, with jitter, up to 5 s): retries of every send
      // held up by an outage must not become the load that keeps the platform from recovering.
      let waitMs = Math.min(5_000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
      try {
        const answer = await postMessage(this.dev.gatewayUrl, this.dev.apiKey, message, {
          idempotencyKey: key,
        });
        if (answer.status >= 200 && answer.status < 300 && answer.id) {
          this.accepted.push({ id: answer.id, firstTriedAt, acceptedAt: Date.now() });
          return;
        }
        if (!RETRYABLE.has(answer.status)) {
          this.refused.push({ status: answer.status, code: String(answer.code) });
          return;
        }
        if (answer.retryAfter > 0) waitMs = Math.min(answer.retryAfter * 1000, 5_000);
      } catch {
        // connection refused or reset, or no answer in time: the same request again, same key
      }
      this.retries++;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
    this.unanswered++;
  }
}
