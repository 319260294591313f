import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  byKind,
  describeWithTools,
  find,
  helmLint,
  helmTemplate,
  kubeconform,
  podSpecOf,
  render,
  repoRoot,
  type K8sObject,
} from './support/k8s';
import { scratchCopy } from '../support/serviceDeclarations';

// `tools/new-service widgets --participant` on a copy of the repository: afterwards the charts deploy the
// new service and wire it to the others with no further edit.
describeWithTools()('tools/new-service and the charts', () => {
  let scratch: string;
  let objects: K8sObject[] = [];

  beforeAll(() => {
    scratch = scratchCopy();
    execFileSync(process.execPath, [
      join(repoRoot, 'tools', 'new-service'),
      'widgets',
      '--participant',
      '--root',
      scratch,
      '--no-gen',
    ]);
    objects = render(join(scratch, 'charts', 'parley'), {
      release: 'blue',
      set: { 'nats.auth.enabled': true, 'nats.auth.type': 'password' },
    });
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('renders a Deployment, Service, ConfigMap and migration Job for the new service', () => {
    const deployment = find(objects, 'Deployment', 'blue-widgets');
    const container = podSpecOf(deployment).containers[0];
    expect(container.image).toMatch(/\/widgets:/);
    find(objects, 'Service', 'blue-widgets');
    expect(find(objects, 'ConfigMap', 'blue-widgets').data?.OTEL_SERVICE_NAME).toBe('parley-widgets');
    expect(byKind(objects, 'Job').map((job) => job.metadata.name)).toContain('blue-widgets-migrate');
  });

  it('gives the gateway its address and privacy its participant entry', () => {
    expect(find(objects, 'ConfigMap', 'blue-gateway').data?.WIDGETS_ADDR).toBe('blue-widgets:50051');
    expect(find(objects, 'ConfigMap', 'blue-privacy').data?.PRIVACY_PARTICIPANTS?.split(',')).toContain(
      'widgets=blue-widgets:50051',
    );
  });

  it('connects it to NATS as its own user, from its own Secret', () => {
    const env = podSpecOf(find(objects, 'Deployment', 'blue-widgets')).containers[0].env as {
      name: string;
      valueFrom?: { secretKeyRef?: { name: string } };
    }[];
    const user = env.find((entry) => entry.name === 'NATS_USER');
    expect(user?.valueFrom?.secretKeyRef?.name).toBe('blue-widgets-nats');
  });

  it('lets gRPC peers of the release reach it', () => {
    const policy = find(objects, 'NetworkPolicy', 'blue-gateway');
    expect(JSON.stringify(policy.spec.egress)).toContain('widgets');
  });

  it('passes helm lint and kubeconform', () => {
    const chart = join(scratch, 'charts', 'parley');
    expect(helmLint(chart).ok).toBe(true);
    const summary = kubeconform(helmTemplate(chart, { release: 'blue' }).stdout, ['HTTPRoute']);
    expect(summary.messages).toEqual([]);
    expect(summary.valid).toBeGreaterThan(0);
  });

  it("lists the new service's Secrets in the tenant's namespace chart", () => {
    const tenant = render(join(scratch, 'charts', 'tenant'), {
      set: { tenantId: 'acme', 'secrets.externalSecrets.enabled': true },
    });
    const names = byKind(tenant, 'ExternalSecret').map((secret) => secret.metadata.name);
    expect(names).toEqual(expect.arrayContaining(['parley-acme-widgets-db', 'parley-acme-widgets-nats']));
  });
});
