/** What the simulator received and did, by name, so tests can prove nothing was charged twice or lost. */
export class Tally {
  private readonly counts: Record<string, number> = {};

  add(name: string, by = 1): void {
    this.counts[name] = (this.counts[name] ?? 0) + by;
  }

  get(name: string): number {
    return this.counts[name] ?? 0;
  }

  snapshot(): Record<string, number> {
    return { ...this.counts };
  }
}
