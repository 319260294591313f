#!/usr/bin/env node
// Regenerates proto/gen/ts from proto/**/*.proto with buf (the @bufbuild/buf npm package ships the
// binary) and ts-proto. With `--check`, generates into a temporary directory instead and exits 1
// naming every file that differs from the committed code.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const protoDir = join(root, 'proto');
const buf = join(root, 'node_modules', '.bin', 'buf');

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath ?? entry.path, entry.name)))
    .sort();
}

function generate(workDir) {
  execFileSync(buf, ['lint'], { cwd: workDir, stdio: 'inherit' });
  execFileSync(buf, ['generate'], { cwd: workDir, stdio: 'inherit' });
}

if (process.argv.includes('--check')) {
  const scratch = mkdtempSync(join(tmpdir(), 'parley-gen-'));
  try {
    cpSync(protoDir, scratch, {
      recursive: true,
      filter: (source) => !source.includes(`${join(protoDir, 'gen')}`) && !source.includes('node_modules'),
    });
    // buf.gen.yaml names the plugin relative to proto/, so point it back at the repository's node_modules.
    const template = readFileSync(join(protoDir, 'buf.gen.yaml'), 'utf8').replace(
      '../node_modules/.bin/protoc-gen-ts_proto',
      join(root, 'node_modules', '.bin', 'protoc-gen-ts_proto'),
    );
    execFileSync('sh', ['-c', 'cat > buf.gen.yaml'], { cwd: scratch, input: template });
    generate(scratch);
    const committed = join(protoDir, 'gen');
    const fresh = join(scratch, 'gen');
    const names = new Set([...listFiles(committed), ...listFiles(fresh)]);
    const stale = [...names].filter((name) => {
      const a = join(committed, name);
      const b = join(fresh, name);
      return !existsSync(a) || !existsSync(b) || !readFileSync(a).equals(readFileSync(b));
    });
    if (stale.length > 0) {
      console.error(
        `proto/gen is stale; run \`npm run gen\` and commit. Differing files:\n  ${stale.join('\n  ')}`,
      );
      process.exit(1);
    }
    console.log(`proto/gen is up to date (${names.size} files)`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
} else {
  generate(protoDir);
  console.log('proto/gen/ts regenerated');
}
