import { describe, it, expect } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  byKind,
  describeWithTools,
  kubeconform,
  helmTemplate,
  readText,
  render,
  repoRoot,
  services,
  type RenderOptions,
} from './support/k8s';

interface HelmRelease {
  name: string;
  chartPath: string;
  namespace?: string;
  valuesFiles?: string[];
  setValues?: Record<string, string | number | boolean>;
  setValueTemplates?: Record<string, string>;
}
interface SkaffoldConfig {
  apiVersion: string;
  kind: string;
  build: {
    artifacts: {
      image: string;
      context: string;
      docker: { dockerfile: string; buildArgs?: Record<string, string> };
    }[];
  };
  deploy: { helm: { releases: HelmRelease[] } };
  profiles: {
    name: string;
    deploy?: { helm: { releases: HelmRelease[] } };
    patches?: { op: string; path: string; value: Record<string, string | number | boolean> }[];
  }[];
}

const skaffold = parse(readText('skaffold.yaml')) as SkaffoldConfig;

/** What skaffold passes to helm for a release, with its image templates filled in. */
function asRenderOptions(
  release: HelmRelease,
  extraSet: Record<string, string | number | boolean> = {},
): RenderOptions {
  const set: Record<string, string | number | boolean> = { ...(release.setValues ?? {}), ...extraSet };
  for (const [key, template] of Object.entries(release.setValueTemplates ?? {})) {
    set[key] = template
      .replace(/\{\{\.IMAGE_REPO_([a-z_]+)\}\}/g, (_m, name: string) => name.replace('_', '/'))
      .replace(/\{\{\.IMAGE_TAG_[a-z_]+\}\}/g, 'v0.1.0-3-gabc1234');
  }
  return {
    release: release.name,
    namespace: release.namespace ?? 'default',
    valuesFiles: release.valuesFiles ?? [],
    set,
  };
}

function dockerfile(svc: string): string {
  return readText(`services/${svc}/Dockerfile`);
}

describe('skaffold.yaml', () => {
  describe('build', () => {
    it('uses a current skaffold schema', () => {
      expect(skaffold.apiVersion).toMatch(/^skaffold\/v4beta(1[1-9]|[2-9]\d)$/);
      expect(skaffold.kind).toBe('Config');
    });

    it('builds every service image from the repo root with its own existing Dockerfile', () => {
      const bySvc = Object.fromEntries(skaffold.build.artifacts.map((a) => [a.image, a]));
      expect(Object.keys(bySvc).sort()).toEqual(services.map((s) => `parley/${s}`).sort());
      for (const svc of services) {
        const artifact = bySvc[`parley/${svc}`];
        expect(artifact?.context).toBe('.');
        expect(artifact?.docker.dockerfile).toBe(`services/${svc}/Dockerfile`);
        expect(existsSync(join(repoRoot, artifact?.docker.dockerfile ?? 'missing'))).toBe(true);
      }
    });
  });

  describe('deploy', () => {
    const releases = [
      ...skaffold.deploy.helm.releases,
      ...skaffold.profiles.flatMap((p) => p.deploy?.helm.releases ?? []),
    ];

    it('names charts and values files that exist', () => {
      expect(releases.length).toBeGreaterThanOrEqual(3);
      for (const release of releases) {
        expect([release.name, existsSync(join(repoRoot, release.chartPath, 'Chart.yaml'))]).toEqual([
          release.name,
          true,
        ]);
        for (const file of release.valuesFiles ?? [])
          expect([file, existsSync(join(repoRoot, file))]).toEqual([file, true]);
      }
    });

    it('sets every service image of the platform releases from the built artifacts', () => {
      for (const release of releases.filter((r) => r.chartPath === 'charts/parley')) {
        for (const svc of services) {
          expect(release.setValueTemplates?.[`services.${svc}.image.repository`]).toBe(
            `{{.IMAGE_REPO_parley_${svc}}}`,
          );
          expect(release.setValueTemplates?.[`services.${svc}.image.tag`]).toBe(
            `{{.IMAGE_TAG_parley_${svc}}}`,
          );
        }
      }
    });
  });

  describe('profiles', () => {
    it('dev runs one replica per service with debug logs', () => {
      const dev = skaffold.profiles.find((p) => p.name === 'dev');
      const patch = dev?.patches?.find((p) => p.path === '/deploy/helm/releases/0/setValues');
      expect(patch?.value['defaults.replicaCount']).toBe(1);
      expect(patch?.value['defaults.logLevel']).toBe('debug');
    });

    it('dedicated installs a tenant namespace, then a dedicated release into it', () => {
      const dedicated = skaffold.profiles.find((p) => p.name === 'dedicated');
      const [tenant, platform] = dedicated?.deploy?.helm.releases ?? [];
      expect(tenant?.chartPath).toBe('charts/tenant');
      expect(platform?.chartPath).toBe('charts/parley');
      expect(platform?.setValues?.['tenancy.mode']).toBe('dedicated');
      expect(platform?.namespace).toBe(`tenant-${tenant?.setValues?.tenantId}`);
      expect(platform?.setValues?.['tenancy.tenantId']).toBe(tenant?.setValues?.tenantId);
    });
  });
});

describeWithTools()('skaffold.yaml rendered by helm', () => {
  it.each([
    ['the default deploy', () => asRenderOptions(skaffold.deploy.helm.releases[0] as HelmRelease)],
    [
      'the dev profile',
      () => {
        const dev = skaffold.profiles.find((p) => p.name === 'dev');
        return asRenderOptions(skaffold.deploy.helm.releases[0] as HelmRelease, dev?.patches?.[0]?.value);
      },
    ],
    [
      'the dedicated profile',
      () => {
        const dedicated = skaffold.profiles.find((p) => p.name === 'dedicated');
        return asRenderOptions(dedicated?.deploy?.helm.releases[1] as HelmRelease);
      },
    ],
  ])('renders %s into valid manifests running the built images', (_label, options) => {
    const opts = options();
    const result = helmTemplate(join(repoRoot, 'charts/parley'), opts);
    expect(result.stderr).toBe('');
    expect(kubeconform(result.stdout, ['HTTPRoute']).invalid).toBe(0);
    const images = byKind(render(join(repoRoot, 'charts/parley'), opts), 'Deployment').map(
      (d) => d.spec.template.spec.containers[0].image,
    );
    expect(images.sort()).toEqual(services.map((s) => `parley/${s}:v0.1.0-3-gabc1234`).sort());
  });
});

describe('services/<svc>/Dockerfile', () => {
  it('is one pattern: the six files differ only by the service name', () => {
    const normalised = services.map((svc) => dockerfile(svc).replaceAll(svc, '<svc>'));
    for (const text of normalised) expect(text).toBe(normalised[0]);
    for (const svc of services) expect(dockerfile(svc)).toMatch(new RegExp(`^ARG SERVICE=${svc}$`, 'm'));
  });

  const text = dockerfile('gateway');

  it('is multi-stage and copies only the build output and production dependencies into the runtime', () => {
    const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/npm ci --omit=dev/);
    const runtime = text.slice(text.lastIndexOf('\nFROM '));
    expect(runtime).not.toMatch(/^RUN /m);
    expect([...runtime.matchAll(/^COPY --from=(\w+)/gm)].map((m) => m[1])).toEqual(
      expect.arrayContaining(['build', 'deps']),
    );
  });

  it('pins base images by tag, never latest', () => {
    const images = [...text.matchAll(/^ARG \w+_IMAGE=(\S+)$/gm)].map((m) => m[1] ?? '');
    expect(images.length).toBeGreaterThanOrEqual(2);
    for (const image of images) expect(image).toMatch(/:(?!latest$)[\w.-]+$/);
  });

  it('builds and runs on Node.js 24, the current LTS (Node 20 reached end of life in April 2026)', () => {
    const image = (name: string) => new RegExp(`^ARG ${name}=(\\S+)$`, 'm').exec(text)?.[1];
    // The build stage's Debian release is the runtime's, so native addons link against the same glibc.
    expect(image('NODE_IMAGE')).toMatch(/^node:24\.\d+\.\d+-bookworm-slim$/);
    expect(image('RUNTIME_IMAGE')).toBe('gcr.io/distroless/nodejs24-debian12:nonroot');
    expect(text).toContain(`org.opencontainers.image.base.name="${image('RUNTIME_IMAGE')}"`);
    expect(text).not.toMatch(/node(js)?:?20/);
  });

  it('runs as a non-root numeric user, without HEALTHCHECK, with OCI labels', () => {
    const user = /^USER (\d+)(?::(\d+))?$/m.exec(text);
    expect(Number(user?.[1])).toBeGreaterThan(0);
    expect(text).not.toMatch(/^HEALTHCHECK/m);
    for (const label of ['title', 'source', 'version', 'revision', 'licenses']) {
      expect(text).toContain(`org.opencontainers.image.${label}=`);
    }
    expect(text).toMatch(/^CMD \["dist\/main\.js"\]$/m);
  });
});
