import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { natsPermissions } from '@parley/kit/src/events/permissions';
import { loadServices, serviceWiring } from './dev/src/services';
import { scratchCopy, serviceDeclarationProblems } from '../tests/support/serviceDeclarations';

const repo = join(__dirname, '..');

const scratch = scratchCopy();
const run = (...args: string[]) =>
  execFileSync(
    process.execPath,
    [join(repo, 'tools', 'new-service'), ...args, '--root', scratch, '--no-gen'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  ).toString();
const read = (path: string) => readFileSync(join(scratch, path), 'utf8');
const addressOf = (name: string) => `${name}.test:50051`;

describe('tools/new-service', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('keeps the repository itself consistent: every file repeats what services.json declares', () => {
    expect(serviceDeclarationProblems(repo)).toEqual([]);
  });

  describe('a privacy participant (--participant)', () => {
    beforeAll(() => {
      run('widgets', '--participant');
    });

    it('lays out a service the way STYLE.md describes, with its names filled in', () => {
      const service = join(scratch, 'services', 'widgets');
      for (const file of [
        'package.json',
        'tsconfig.json',
        'README.md',
        'Dockerfile',
        'src/main.ts',
        'src/instrumentation.ts',
        'src/config.ts',
        'src/app.ts',
        'src/privacy.ts',
        'src/domain/errors.ts',
        'test/integration/health.int.test.ts',
      ]) {
        expect([file, existsSync(join(service, file))]).toEqual([file, true]);
      }
      expect(JSON.parse(read('services/widgets/package.json')).name).toBe('@parley/widgets');
      const app = read('services/widgets/src/app.ts');
      expect(app).toContain("name: 'parley.widgets.v1.WidgetsService'");
      expect(app).toContain('participant: widgetsParticipant');
      expect(app).not.toMatch(/\{\{/);
      expect(read('proto/parley/widgets/v1/widgets.proto')).toContain('package parley.widgets.v1;');
      const index = read('proto/index.ts');
      expect(index).toContain("export * as widgetsV1 from './gen/ts/parley/widgets/v1/widgets';");
      expect(index).toContain("widgets: 'parley/widgets/v1/widgets.proto',");
    });

    it('declares it in services.json, before the gateway, which calls it', () => {
      const declared = loadServices(scratch);
      expect(declared.map((service) => service.name).slice(-2)).toEqual(['widgets', 'gateway']);
      expect(declared.find((service) => service.name === 'widgets')).toEqual({
        name: 'widgets',
        publishesEvents: true,
        privacyParticipant: true,
        calls: [],
        consumes: [],
      });
    });

    it('is wired by npm start: the gateway gets its address, privacy lists it, it has its NATS user', () => {
      const declared = loadServices(scratch);
      const byName = (name: string) => declared.find((service) => service.name === name)!;
      expect(serviceWiring(byName('gateway'), declared, addressOf).WIDGETS_ADDR).toBe('widgets.test:50051');
      expect(
        serviceWiring(byName('privacy'), declared, addressOf).PRIVACY_PARTICIPANTS?.split(','),
      ).toContain('widgets=widgets.test:50051');
      const permissions = natsPermissions({ ...byName('widgets'), service: 'widgets' });
      expect(permissions.publish).toEqual(
        expect.arrayContaining(['widgets.>', 'privacy.receipt.submitted', '$JS.API.STREAM.CREATE.WIDGETS']),
      );
      expect(permissions.publish).not.toContain('identity.>');
    });

    it('adds its chart entry (values the templates range over), the tenant list and skaffold', () => {
      const values = parse(read('charts/parley/values.yaml')).services;
      expect(values.widgets).toMatchObject({
        enabled: true,
        privacyParticipant: true,
        calls: [],
        image: { repository: 'widgets' },
      });
      expect(values.gateway.calls).toContain('widgets');
      expect(parse(read('charts/tenant/values.yaml')).services).toContain('widgets');
      const skaffold = parse(read('skaffold.yaml'));
      expect(skaffold.build.artifacts).toContainEqual({
        image: 'parley/widgets',
        context: '.',
        docker: { dockerfile: 'services/widgets/Dockerfile', buildArgs: { SERVICE: 'widgets' } },
      });
      expect(read('services/widgets/Dockerfile')).toBe(
        readFileSync(join(repo, 'services', 'gateway', 'Dockerfile'), 'utf8').replaceAll(
          'gateway',
          'widgets',
        ),
      );
      expect(serviceDeclarationProblems(scratch)).toEqual([]);
    });

    it('writes files the repository linter accepts', () => {
      expect(() =>
        execFileSync(
          join(repo, 'node_modules', '.bin', 'prettier'),
          [
            '--check',
            'services.json',
            'skaffold.yaml',
            'charts/parley/values.yaml',
            'charts/tenant/values.yaml',
            'proto/index.ts',
            'services/widgets',
          ],
          { cwd: scratch, stdio: 'pipe' },
        ),
      ).not.toThrow();
    });

    it('changes nothing when run again', () => {
      const before = ['services.json', 'skaffold.yaml', 'charts/parley/values.yaml'].map(read);
      expect(run('widgets', '--participant')).toContain('already complete; nothing written');
      expect(['services.json', 'skaffold.yaml', 'charts/parley/values.yaml'].map(read)).toEqual(before);
    });
  });

  describe('a service that holds no personal data', () => {
    beforeAll(() => {
      run('gadgets');
    });

    it('is fronted by the gateway but not asked by privacy', () => {
      const declared = loadServices(scratch);
      const byName = (name: string) => declared.find((service) => service.name === name)!;
      expect(byName('gadgets').privacyParticipant).toBe(false);
      expect(existsSync(join(scratch, 'services', 'gadgets', 'src', 'privacy.ts'))).toBe(false);
      expect(serviceWiring(byName('gateway'), declared, addressOf).GADGETS_ADDR).toBe('gadgets.test:50051');
      expect(serviceWiring(byName('privacy'), declared, addressOf).PRIVACY_PARTICIPANTS).not.toContain(
        'gadgets',
      );
      expect(parse(read('charts/parley/values.yaml')).services.gadgets.privacyParticipant).toBe(false);
      expect(serviceDeclarationProblems(scratch)).toEqual([]);
    });
  });

  it('refuses a name that is not one lowercase word', () => {
    expect(() => run('Bad-Name')).toThrow();
  });
});
