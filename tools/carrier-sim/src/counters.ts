/**
 * What the simulator received and did, by name (orders placed, numbers sold, callbacks delivered, ...),
 * so tests can prove that nothing was lost or done twice. Every part of the simulator adds to the same set.
 */
export class Counters {
  private readonly values = new Map<string, number>();

  add(name: string, by = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + by);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.values.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}
