import { randomUUID } from 'node:crypto';
import type { Counters } from './counters';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signCallback } from './signing';

export interface CallbackEvent {
  type: string;
  data: unknown;
}

/**
 * Delivers signed callbacks to the URL an order or port-in gave, like a carrier's webhooks: JSON body
 * `{ id, type, occurredAt, data }`, retried a few times with a growing pause when the receiver does not
 * answer 2xx. Delivery is best effort (the caller can always read the state with a GET).
 */
export class CallbackSender {
  constructor(
    private readonly options: {
      secret: string;
      maxAttempts: number;
      retryDelayMs: number;
      counters: Counters;
      onError?: (message: string) => void;
    },
  ) {}

  /**
   * Sends the event and answers its id. `copies` above 1 delivers the very same callback (id, timestamp of
   * occurrence, body) that many times, as a carrier that resends does: receivers must deduplicate.
   */
  send(url: string, event: CallbackEvent, copies = 1): string {
    const id = randomUUID();
    const body = JSON.stringify({
      id,
      type: event.type,
      occurredAt: new Date().toISOString(),
      data: event.data,
    });
    for (let copy = 0; copy < copies; copy += 1) void this.deliver(url, id, body, 1);
    return id;
  }

  private async deliver(url: string, id: string, body: string, attempt: number): Promise<void> {
    const { secret, maxAttempts, retryDelayMs, counters } = this.options;
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [EVENT_ID_HEADER]: id,
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signCallback(secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      await response.arrayBuffer();
      if (response.ok) {
        counters.add('callbacksDelivered');
        return;
      }
    } catch {
      // the receiver is down or slow: retried below
    }
    if (attempt >= maxAttempts) {
      counters.add('callbacksFailed');
      this.options.onError?.(`callback ${id} not delivered after ${attempt} attempts`);
      return;
    }
    const timer = setTimeout(
      () => void this.deliver(url, id, body, attempt + 1),
      retryDelayMs * 2 ** (attempt - 1),
    );
    timer.unref();
  }
}
