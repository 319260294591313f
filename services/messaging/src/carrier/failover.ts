import {
  CarrierError,
  type CarrierPort,
  type InboundMessage,
  type OutboundMessage,
  type Receipt,
} from '../domain/carrier';
import type { SmppCarrier } from './smpp';

/**
 * A primary route and failover routes to the carrier (a second SMPP connection, say to another SMSC of the
 * same carrier). A message goes over the first route whose bind is up; with none up it waits on the
 * primary, and one that finds its route gone before it was handed over tries the next. Throttling and
 * refusals are the route's answer and are not failed over. Receipts and inbound messages come from every route.
 */
export class FailoverCarrier implements CarrierPort {
  constructor(private readonly routes: [SmppCarrier, ...SmppCarrier[]]) {}

  async submit(message: OutboundMessage): Promise<string[]> {
    const up = this.routes.filter((route) => route.isBound);
    const order = [...up, ...this.routes.filter((route) => !up.includes(route))];
    let last: unknown;
    for (const route of order) {
      try {
        return await route.submit(message);
      } catch (error) {
        if (!(error instanceof CarrierError && error.code === 'NOT_BOUND')) throw error;
        last = error;
      }
    }
    throw last;
  }

  onReceipt(handle: (receipt: Receipt) => Promise<void>): void {
    for (const route of this.routes) route.onReceipt(handle);
  }

  onInbound(handle: (message: InboundMessage) => Promise<void>): void {
    for (const route of this.routes) route.onInbound(handle);
  }

  async start(): Promise<void> {
    await Promise.all(this.routes.map((route) => route.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.routes.map((route) => route.stop()));
  }
}
