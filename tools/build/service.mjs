#!/usr/bin/env node
// npm run build --workspace @parley/<name>: bundles src/main.ts (with @parley/kit and @parley/proto
// inlined, third-party packages left in node_modules so OpenTelemetry can instrument them) into
// dist/main.js, and copies what the bundle reads at run time: migrations and the .proto files.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const name = process.argv[2];
const serviceDir = join(root, 'services', name ?? '');
if (!name || !existsSync(join(serviceDir, 'src', 'main.ts'))) {
  console.error(`usage: tools/build/service.mjs <service>  (services/<service>/src/main.ts must exist)`);
  process.exit(2);
}
const dist = join(serviceDir, 'dist');
rmSync(dist, { recursive: true, force: true });

const workspacePackages = new Set(['@parley/kit', '@parley/proto']);
const dependencies = [serviceDir, join(root, 'services', 'kit'), join(root, 'proto')].flatMap((dir) =>
  Object.keys(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies ?? {}),
);
const external = [...new Set(dependencies)].filter((dependency) => !workspacePackages.has(dependency));

await build({
  entryPoints: [join(serviceDir, 'src', 'main.ts')],
  outfile: join(dist, 'main.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  conditions: ['parley-source'],
  external: [...external, ...external.map((dependency) => `${dependency}/*`)],
  logLevel: 'warning',
});

mkdirSync(join(dist, 'migrations'), { recursive: true });
cpSync(join(root, 'services', 'kit', 'src', 'db', 'migrations'), join(dist, 'migrations', 'kit'), {
  recursive: true,
});
cpSync(join(serviceDir, 'src', 'db', 'migrations'), join(dist, 'migrations', 'service'), { recursive: true });
cpSync(join(root, 'proto', 'parley'), join(dist, 'proto', 'parley'), { recursive: true });
console.log(`built services/${name}/dist`);
