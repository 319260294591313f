import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const infra = (globalThis as Record<string, unknown>).__parleyInfra as
    { postgres: { stop(): Promise<void> }; nats: { stop(): Promise<void> }; root: string } | undefined;
  if (!infra) return;
  await infra.nats.stop();
  await infra.postgres.stop();
  rmSync(infra.root, { recursive: true, force: true });
}
