import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, existsSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';

const repo = join(__dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'parley-new-service-'));
mkdirSync(join(scratch, 'proto'));
copyFileSync(join(repo, 'proto', 'index.ts'), join(scratch, 'proto', 'index.ts'));

const run = (...args: string[]) =>
  execFileSync(process.execPath, [
    join(repo, 'tools', 'new-service'),
    ...args,
    '--root',
    scratch,
    '--no-gen',
  ]).toString();

describe('tools/new-service', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('lays out a service the way STYLE.md describes, with its names filled in', () => {
    run('widgets');
    const service = join(scratch, 'services', 'widgets');
    for (const file of [
      'package.json',
      'tsconfig.json',
      'README.md',
      'src/main.ts',
      'src/instrumentation.ts',
      'src/config.ts',
      'src/app.ts',
      'src/domain/errors.ts',
      'test/integration/health.int.test.ts',
    ]) {
      expect(existsSync(join(service, file))).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(service, 'package.json'), 'utf8')).name).toBe('@parley/widgets');
    const app = readFileSync(join(service, 'src', 'app.ts'), 'utf8');
    expect(app).toContain("name: 'parley.widgets.v1.WidgetsService'");
    expect(app).not.toMatch(/\{\{/);
    expect(
      readFileSync(join(scratch, 'proto', 'parley', 'widgets', 'v1', 'widgets.proto'), 'utf8'),
    ).toContain('package parley.widgets.v1;');
    const index = readFileSync(join(scratch, 'proto', 'index.ts'), 'utf8');
    expect(index).toContain("export * as widgetsV1 from './gen/ts/parley/widgets/v1/widgets';");
    expect(index).toContain("widgets: 'parley/widgets/v1/widgets.proto',");
  });

  it('leaves existing files alone when run again', () => {
    expect(run('widgets')).toContain('already complete; nothing written');
  });

  it('refuses a name that is not one lowercase word', () => {
    expect(() => run('Bad-Name')).toThrow();
  });
});
