import type { numberingV1 } from '@parley/proto';

/**
 * ResolveNumber's in-process cache: number -> where it belongs. Messaging resolves on every send and every
 * inbound message, so answers come from memory. Entries are dropped in this process the moment a
 * transaction that changes a number commits, in every other replica when the change's event reaches it
 * (app.ts: a kit broadcast listener), and live at most `ttlMs` (the bound while NATS is unreachable).
 */
/** What ResolveNumber answers (the proto message). */
export type Resolution = numberingV1.ResolveNumberResponse;

export class ResolveCache {
  private readonly entries = new Map<
    string,
    { value: Resolution | null; expires: number; generation: number }
  >();
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(e164: string): Resolution | null | undefined {
    const entry = this.entries.get(e164);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.entries.delete(e164);
      return undefined;
    }
    return entry.value;
  }

  /** The current generation: pass it to `set`, so a load that raced an invalidation is not stored. */
  mark(): number {
    return this.generation;
  }

  set(e164: string, value: Resolution | null, generation: number): void {
    if (generation !== this.generation) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(e164, { value, expires: this.now() + this.ttlMs, generation });
  }

  invalidate(e164: string): void {
    this.generation += 1;
    this.entries.delete(e164);
  }
}
