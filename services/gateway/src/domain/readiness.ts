import type { HealthStatus } from '@parley/kit';

export interface Readiness {
  status: 'ready' | 'not_ready';
  services: Record<string, HealthStatus>;
}

/** Ready only when every service answers SERVING; the answer names each service's state either way. */
export function readiness(statuses: Record<string, HealthStatus>): Readiness {
  const ready = Object.values(statuses).every((status) => status === 'SERVING');
  return { status: ready ? 'ready' : 'not_ready', services: statuses };
}
