import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const repoRoot = join(__dirname, '..', '..');

/**
 * Runs a service's `main.ts` as its own process (as `npm start` does), so a test can SIGKILL it, and
 * resolves once its gRPC server listens. `children` collects it for the test's clean-up.
 */
export function startServiceProcess(
  service: string,
  env: Record<string, string>,
  children: ChildProcess[],
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=parley-source', '--import', 'tsx', join(repoRoot, `services/${service}/src/main.ts`)],
    {
      cwd: repoRoot,
      env: { ...process.env, ...env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      if (seen.includes('gRPC server listening')) return;
      seen += chunk.toString();
      if (seen.includes('gRPC server listening')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${service} exited with ${code} before it was ready`)));
  });
}
