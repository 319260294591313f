import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

const repoRoot = join(__dirname, '..', '..');
const script = join(repoRoot, 'tools', 'ci', 'install-node.sh');

/** Runs the installer as .ci/run does and returns the directory it prints. */
function install(path = process.env.PATH ?? ''): string {
  return execFileSync('bash', [script], { env: { ...process.env, PATH: path }, encoding: 'utf8' }).trim();
}

function majorOf(nodeDir: string): number {
  return Number(
    execFileSync(join(nodeDir, 'node'), ['-p', 'process.versions.node.split(".")[0]']).toString(),
  );
}

// CI runs on Node 24 (the images' LTS) even on a machine with Node 20: .ci/run puts what this script
// prints first on PATH. On CI the script has already run, so this finds Node 24 in the cache
// (~/.cache/parley/node); elsewhere its first run downloads it (about 50 MB) from the npm registry.
describe('tools/ci/install-node.sh', () => {
  it('gives a directory holding a runnable Node.js 24 or newer', () => {
    expect(majorOf(install())).toBeGreaterThanOrEqual(24);
  }, 300_000);

  it("keeps the machine's node when it is new enough", () => {
    const node24 = install();
    expect(install(`${node24}:${process.env.PATH ?? ''}`)).toBe(node24);
  }, 300_000);

  it('leaves the code supported on Node 20.19 and newer', () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    expect(manifest.engines.node).toBe('>=20.19');
    expect(readFileSync(join(repoRoot, 'tools', 'build', 'service.mjs'), 'utf8')).toContain(
      "target: 'node20'",
    );
  });
});
