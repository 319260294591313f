import { describe, it, expect, beforeAll } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  byKind,
  describeWithTools,
  find,
  helmLint,
  helmTemplate,
  kubeconform,
  platformChart,
  render,
  tenantChart,
  type K8sObject,
  type RenderOptions,
} from './support/k8s';

const ciValues = readdirSync(join(tenantChart, 'ci'))
  .filter((f) => f.endsWith('-values.yaml'))
  .map((f) => `charts/tenant/ci/${f}`);
const shapes = [...ciValues, 'deploy/tenants/acme/tenant-values.yaml'];

describeWithTools()('charts/tenant', () => {
  describe('helm lint --strict', () => {
    it.each(shapes)('passes with %s', (file) => {
      const result = helmLint(tenantChart, { valuesFiles: [file] });
      expect(result.stderr).toBe('');
      expect(result.ok).toBe(true);
    });
  });

  describe.each(shapes)('rendered with %s', (file) => {
    let manifests = '';
    let objects: K8sObject[] = [];
    beforeAll(() => {
      const result = helmTemplate(tenantChart, {
        release: 'tenant',
        namespace: 'parley-system',
        valuesFiles: [file],
      });
      if (!result.ok) throw new Error(result.stderr);
      manifests = result.stdout;
      objects = render(tenantChart, { release: 'tenant', namespace: 'parley-system', valuesFiles: [file] });
    });

    it('is valid against the Kubernetes API schemas (strict, offline)', () => {
      const summary = kubeconform(manifests, ['ExternalSecret']);
      expect(summary.messages).toEqual([]);
      expect(summary.invalid + summary.errors).toBe(0);
      expect(summary.valid).toBeGreaterThanOrEqual(8);
    });

    it('puts every namespaced object in the tenant namespace and nothing cluster-wide but the Namespace', () => {
      const [namespace] = byKind(objects, 'Namespace');
      expect(namespace?.metadata.name).toMatch(/^tenant-[a-z][a-z0-9-]*$/);
      for (const obj of objects.filter((o) => o.kind !== 'Namespace')) {
        expect([obj.kind, obj.metadata.name, obj.metadata.namespace]).toEqual([
          obj.kind,
          obj.metadata.name,
          namespace?.metadata.name,
        ]);
      }
      for (const kind of ['ClusterRole', 'ClusterRoleBinding', 'Secret'])
        expect(byKind(objects, kind)).toEqual([]);
    });

    it('enforces, audits and warns on Pod Security "restricted" and labels the tenant', () => {
      const [namespace] = byKind(objects, 'Namespace');
      const labels = namespace?.metadata.labels ?? {};
      for (const mode of ['enforce', 'audit', 'warn']) {
        expect(labels[`pod-security.kubernetes.io/${mode}`]).toBe('restricted');
      }
      expect(`tenant-${labels['parley.dev/tenant']}`).toBe(namespace?.metadata.name);
    });

    it('denies all ingress and egress by default', () => {
      const policies = byKind(objects, 'NetworkPolicy');
      const denyAll = policies.filter(
        (p) =>
          Object.keys(p.spec.podSelector).length === 0 &&
          p.spec.policyTypes.includes('Ingress') &&
          p.spec.policyTypes.includes('Egress') &&
          p.spec.ingress === undefined &&
          p.spec.egress === undefined,
      );
      expect(denyAll).toHaveLength(1);
      // And opens DNS for the release's pods.
      const egressPorts = policies.flatMap((p) =>
        (p.spec.egress ?? []).flatMap((r: { ports?: { port: number }[] }) =>
          (r.ports ?? []).map((x) => x.port),
        ),
      );
      expect(egressPorts).toEqual(expect.arrayContaining([53, 5432, 4222]));
    });

    it('sets a ResourceQuota and a LimitRange', () => {
      const [quota] = byKind(objects, 'ResourceQuota');
      expect(Object.keys(quota?.spec.hard ?? {})).toEqual(
        expect.arrayContaining(['requests.cpu', 'limits.memory', 'pods']),
      );
      const [limits] = byKind(objects, 'LimitRange');
      expect(limits?.spec.limits[0].type).toBe('Container');
      expect(Object.keys(limits?.spec.limits[0])).toEqual(
        expect.arrayContaining(['default', 'defaultRequest', 'max']),
      );
    });
  });

  describe('values', () => {
    it('takes quota, limits and operator groups from values', () => {
      const objects = render(tenantChart, {
        set: {
          tenantId: 'initech',
          'resourceQuota.hard.pods': 7,
          'limitRange.max.memory': '3Gi',
          'rbac.operatorGroups[0]': 'initech-ops',
          'rbac.viewerGroups[0]': 'initech-audit',
        },
      });
      expect(find(objects, 'Namespace', 'tenant-initech')).toBeDefined();
      expect(find(objects, 'ResourceQuota', 'tenant-quota').spec.hard.pods).toBe('7');
      expect(find(objects, 'LimitRange', 'tenant-limits').spec.limits[0].max.memory).toBe('3Gi');
      const operators = find(objects, 'RoleBinding', 'tenant-operator');
      const binding = operators as unknown as {
        subjects: { kind: string; name: string }[];
        roleRef: { kind: string };
      };
      expect(binding.roleRef.kind).toBe('Role');
      expect(binding.subjects).toEqual([expect.objectContaining({ kind: 'Group', name: 'initech-ops' })]);
      const viewers = find(objects, 'RoleBinding', 'tenant-viewer') as unknown as {
        subjects: { name: string }[];
      };
      expect(viewers.subjects.map((s) => s.name)).toEqual(['initech-audit']);
    });

    it('binds nobody when no groups are given', () => {
      const objects = render(tenantChart, { set: { tenantId: 'initech' } });
      expect(byKind(objects, 'RoleBinding')).toEqual([]);
      expect(
        byKind(objects, 'Role')
          .map((r) => r.metadata.name)
          .sort(),
      ).toEqual(['tenant-operator', 'tenant-viewer']);
    });

    it('references exactly the Secrets the dedicated platform release reads', () => {
      const platform = render(platformChart, {
        release: 'parley-acme',
        namespace: 'tenant-acme',
        valuesFiles: ['charts/parley/ci/dedicated-values.yaml'],
      });
      const read = new Set<string>();
      for (const obj of platform.filter((o) => ['Deployment', 'Job'].includes(o.kind))) {
        const spec = obj.spec.template.spec;
        for (const c of spec.containers) {
          for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) read.add(e.valueFrom.secretKeyRef.name);
        }
        for (const v of spec.volumes ?? []) if (v.secret) read.add(v.secret.secretName);
      }
      const tenant = render(tenantChart, {
        set: { tenantId: 'acme', 'secrets.externalSecrets.enabled': true },
      });
      const externalSecrets = byKind(tenant, 'ExternalSecret').map((e) => e.metadata.name);
      expect(externalSecrets.sort()).toEqual([...read].sort());
      const operator = find(tenant, 'Role', 'tenant-operator') as unknown as {
        rules: { resources: string[]; resourceNames?: string[]; verbs: string[] }[];
      };
      const secretRule = operator.rules.find((r) => r.resources.includes('secrets'));
      expect(secretRule?.resourceNames?.sort()).toEqual([...read].sort());
      expect(secretRule?.verbs).not.toContain('list');
    });
  });

  describe('rejected values', () => {
    const rejections: [string, RenderOptions, RegExp][] = [
      ['a missing tenant id', {}, /tenantId/],
      ['a tenant id that is not a DNS label', { set: { tenantId: 'ACME_corp' } }, /tenantId/],
      [
        'an unknown key',
        { set: { tenantId: 'acme', quota: 1 } },
        /additional properties 'quota' not allowed/,
      ],
      [
        'a wrong type',
        { set: { tenantId: 'acme', 'resourceQuota.enabled': 'yes' } },
        /got string, want boolean/,
      ],
      [
        'a Pod Security level other than restricted',
        { set: { tenantId: 'acme', 'podSecurity.level': 'baseline' } },
        /podSecurity\/level/,
      ],
    ];

    it.each(rejections)('rejects %s in helm template and helm lint', (_what, options, message) => {
      const template = helmTemplate(tenantChart, options);
      expect(template.ok).toBe(false);
      expect(template.stderr).toMatch(message);
      expect(helmLint(tenantChart, options).ok).toBe(false);
    });
  });
});
