import { randomBytes } from 'node:crypto';
import {
  PAYMENT_WEBHOOK_SIGNATURE_HEADER,
  signPaymentWebhook,
} from '@parley/kit/src/payments/webhookSignature';
import type { Tally } from './tally';

export interface WebhookEvent {
  id: string;
  type: string;
  /** Unix seconds when it happened. */
  created: number;
  data: { object: unknown };
}

/**
 * Webhooks as a processor sends them: each event signed (`Payment-Sim-Signature: t=...,v1=...`), posted
 * to the merchant's endpoint, retried with a growing pause until it answers 2xx. Like real ones they can
 * come twice and out of order; the control API makes that happen on demand: `hold()` keeps events back,
 * `release()` sends what was held (in reverse order, each several times), `resend()` sends one again.
 */
export class WebhookSender {
  private endpoint?: string;
  private holding = false;
  private readonly held: WebhookEvent[] = [];
  private readonly events = new Map<string, WebhookEvent>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly options: {
      secret: string;
      endpoint?: string;
      maxAttempts: number;
      retryMs: number;
      tally: Tally;
      onError: (message: string) => void;
    },
  ) {
    this.endpoint = options.endpoint;
  }

  setEndpoint(url: string | undefined): void {
    this.endpoint = url;
  }

  emit(type: string, object: unknown): WebhookEvent {
    const event: WebhookEvent = {
      id: `evt_${randomBytes(12).toString('hex')}`,
      type,
      created: Math.floor(Date.now() / 1000),
      data: { object },
    };
    this.events.set(event.id, event);
    this.options.tally.add('webhooksCreated');
    if (this.holding) this.held.push(event);
    else this.deliver(event, 1);
    return event;
  }

  hold(): void {
    this.holding = true;
  }

  /** Stops holding and sends what was held, `copies` times each, in the order asked. */
  release(options: { order: 'created' | 'reverse'; copies: number }): number {
    this.holding = false;
    const events = this.held.splice(0);
    if (options.order === 'reverse') events.reverse();
    for (const event of events) for (let copy = 0; copy < options.copies; copy += 1) this.deliver(event, 1);
    return events.length;
  }

  /** Sends an event again, exactly as it was (a processor's resend). */
  resend(id: string): boolean {
    const event = this.events.get(id);
    if (!event) return false;
    this.deliver(event, 1);
    return true;
  }

  list(): WebhookEvent[] {
    return [...this.events.values()];
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }

  private deliver(event: WebhookEvent, attempt: number): void {
    void this.attempt(event, attempt);
  }

  private async attempt(event: WebhookEvent, attempt: number): Promise<void> {
    const { secret, maxAttempts, retryMs, tally, onError } = this.options;
    const endpoint = this.endpoint;
    if (!endpoint) {
      tally.add('webhooksWithoutEndpoint');
      return;
    }
    const body = JSON.stringify(event);
    try {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [PAYMENT_WEBHOOK_SIGNATURE_HEADER]: signPaymentWebhook(secret, Math.floor(Date.now() / 1000), body),
        },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      if (response.ok) {
        tally.add('webhooksDelivered');
        return;
      }
    } catch {
      // the endpoint is down or slow: retried below
    }
    if (attempt >= maxAttempts) {
      tally.add('webhooksFailed');
      onError(`webhook ${event.id} not delivered after ${attempt} attempts`);
      return;
    }
    tally.add('webhookRetries');
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.deliver(event, attempt + 1);
      },
      Math.min(retryMs * 2 ** (attempt - 1), 60_000),
    );
    timer.unref();
    this.timers.add(timer);
  }
}
