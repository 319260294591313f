import { describe, it, expect, beforeAll } from '@jest/globals';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseDocument, isMap, isScalar, type Node as YamlNode } from 'yaml';
import {
  byKind,
  describeWithTools,
  find,
  helmLint,
  helmTemplate,
  kubeconform,
  podLabelsOf,
  podSpecOf,
  platformChart,
  readText,
  render,
  selects,
  services,
  declaredServices,
  type K8sObject,
  type RenderOptions,
} from './support/k8s';

const ciValues = readdirSync(join(platformChart, 'ci'))
  .filter((f) => f.endsWith('-values.yaml'))
  .map((f) => `charts/parley/ci/${f}`);

/** The shapes the chart supports: its ci/ files, plus the environment values in deploy/. */
const shapes: [string, RenderOptions][] = [
  ...ciValues.map((f): [string, RenderOptions] => [f, { valuesFiles: [f] }]),
  ['deploy/dev/values.yaml', { valuesFiles: ['deploy/dev/values.yaml'] }],
  [
    'deploy/production/values.yaml',
    { valuesFiles: ['deploy/production/values.yaml'], set: { 'image.tag': '1.0.0' } },
  ],
  [
    'deploy/production + tenants/acme',
    {
      release: 'parley-acme',
      namespace: 'tenant-acme',
      valuesFiles: ['deploy/production/values.yaml', 'deploy/tenants/acme/values.yaml'],
      set: { 'image.tag': '1.0.0' },
    },
  ],
];

const workloadKinds = ['Deployment', 'Job', 'Pod'];
// Custom resources have no schema among the Kubernetes API's; the tests below check them.
const customKinds = ['HTTPRoute'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Container = any;

function containersOf(obj: K8sObject): Container[] {
  const spec = podSpecOf(obj);
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

function envOf(container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of container.env ?? []) if (typeof entry.value === 'string') env[entry.name] = entry.value;
  return env;
}

describeWithTools()('charts/parley', () => {
  describe('helm lint --strict', () => {
    it.each(ciValues)('passes with %s', (file) => {
      const result = helmLint(platformChart, { valuesFiles: [file] });
      expect(result.stderr).toBe('');
      expect(result.ok).toBe(true);
    });

    it('has a ci values file for each supported shape', () => {
      expect(ciValues.map((f) => f.replace(/^.*\//, '')).sort()).toEqual(
        expect.arrayContaining(['default-values.yaml', 'dedicated-values.yaml', 'production-values.yaml']),
      );
    });
  });

  describe.each(shapes)('rendered with %s', (_label, options) => {
    let manifests = '';
    let objects: K8sObject[] = [];
    beforeAll(() => {
      const result = helmTemplate(platformChart, options);
      if (!result.ok) throw new Error(result.stderr);
      manifests = result.stdout;
      objects = render(platformChart, options);
    });

    it('is valid against the Kubernetes API schemas (strict, offline)', () => {
      const summary = kubeconform(manifests, customKinds);
      expect(summary.messages).toEqual([]);
      expect(summary.invalid + summary.errors).toBe(0);
      expect(summary.valid).toBeGreaterThanOrEqual(6 * 6);
    });

    it('renders no Secret and no cluster-scoped object', () => {
      const kinds = new Set(objects.map((o) => o.kind));
      for (const forbidden of ['Secret', 'Namespace', 'ClusterRole', 'ClusterRoleBinding']) {
        expect(kinds.has(forbidden)).toBe(false);
      }
    });

    it('runs every pod (Deployments, migration Jobs, test pod) under Pod Security "restricted"', () => {
      const workloads = objects.filter((o) => workloadKinds.includes(o.kind));
      expect(byKind(workloads, 'Deployment')).toHaveLength(6);
      expect(byKind(workloads, 'Job')).toHaveLength(6);
      expect(byKind(workloads, 'Pod')).toHaveLength(1);
      for (const workload of workloads) {
        const where = `${workload.kind}/${workload.metadata.name}`;
        const spec = podSpecOf(workload);
        expect([where, spec.securityContext?.runAsNonRoot]).toEqual([where, true]);
        expect([where, spec.securityContext?.runAsUser]).not.toEqual([where, 0]);
        expect([where, spec.hostNetwork ?? false, spec.hostPID ?? false, spec.hostIPC ?? false]).toEqual([
          where,
          false,
          false,
          false,
        ]);
        for (const volume of spec.volumes ?? []) {
          const types = Object.keys(volume).filter((k) => k !== 'name');
          expect([where, types]).toEqual([
            where,
            [expect.stringMatching(/^(emptyDir|secret|configMap|projected|persistentVolumeClaim)$/)],
          ]);
        }
        for (const container of containersOf(workload)) {
          const sc = container.securityContext ?? {};
          const seccomp = sc.seccompProfile?.type ?? spec.securityContext?.seccompProfile?.type;
          expect([where, container.name, seccomp]).toEqual([where, container.name, 'RuntimeDefault']);
          expect([where, sc.allowPrivilegeEscalation]).toEqual([where, false]);
          expect([where, sc.privileged ?? false]).toEqual([where, false]);
          expect([where, sc.capabilities?.drop]).toEqual([where, expect.arrayContaining(['ALL'])]);
          expect([where, sc.capabilities?.add ?? []]).toEqual([where, []]);
          expect([where, sc.readOnlyRootFilesystem]).toEqual([where, true]);
          expect([where, sc.runAsUser]).not.toEqual([where, 0]);
          const tmp = (container.volumeMounts ?? []).find(
            (m: { mountPath: string }) => m.mountPath === '/tmp',
          );
          const tmpVolume = (spec.volumes ?? []).find((v: { name: string }) => v.name === tmp?.name);
          expect([where, tmpVolume?.emptyDir]).toEqual([where, expect.any(Object)]);
        }
      }
    });

    it('pins every image to a tag that is not latest', () => {
      const images = objects
        .filter((o) => workloadKinds.includes(o.kind))
        .flatMap((o) => containersOf(o).map((c) => c.image as string));
      expect(images.length).toBeGreaterThanOrEqual(13);
      for (const image of images) {
        const withoutDigest = image.replace(/@sha256:[a-f0-9]{64}$/, '');
        const tag = /:([^:/]+)$/.exec(withoutDigest)?.[1];
        expect([image, tag]).toEqual([image, expect.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/)]);
        expect([image, tag]).not.toEqual([image, 'latest']);
      }
    });

    it('gives every Deployment gRPC probes, resources, a PDB and a NetworkPolicy selecting it', () => {
      const pdbs = byKind(objects, 'PodDisruptionBudget');
      const policies = byKind(objects, 'NetworkPolicy').filter(
        (p) => !p.metadata.annotations?.['helm.sh/hook'],
      );
      const hpas = byKind(objects, 'HorizontalPodAutoscaler');
      for (const deployment of byKind(objects, 'Deployment')) {
        const name = deployment.metadata.name;
        const labels = podLabelsOf(deployment);
        const [container] = containersOf(deployment);
        const grpcPort = container.ports.find((p: { name: string }) => p.name === 'grpc').containerPort;
        for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
          expect([name, probe, container[probe]?.grpc?.port]).toEqual([name, probe, grpcPort]);
        }
        for (const bound of ['requests', 'limits']) {
          expect([name, Object.keys(container.resources?.[bound] ?? {}).sort()]).toEqual([
            name,
            expect.arrayContaining(['cpu', 'memory']),
          ]);
        }
        expect([name, pdbs.filter((p) => selects(p.spec.selector, labels)).length]).toEqual([name, 1]);
        const selecting = policies.filter((p) => selects(p.spec.podSelector, labels));
        expect([name, selecting.length]).toEqual([name, 1]);
        expect([name, selecting[0]?.spec.policyTypes]).toEqual([name, ['Ingress', 'Egress']]);
        const hpa = hpas.find((h) => h.spec.scaleTargetRef.name === name);
        // With an HPA the replica count is the HPA's, never pinned in the Deployment.
        expect([name, hpa ? deployment.spec.replicas : 'no hpa']).toEqual([name, hpa ? undefined : 'no hpa']);
      }
    });

    it('rolls pods when settings change: checksum/config is the hash of the ConfigMap data', () => {
      for (const deployment of byKind(objects, 'Deployment')) {
        const checksum = deployment.spec.template.metadata.annotations['checksum/config'];
        expect(checksum).toMatch(/^[a-f0-9]{64}$/);
        const configMap = find(objects, 'ConfigMap', deployment.metadata.name);
        expect(Object.keys(configMap.data ?? {})).toEqual(expect.arrayContaining(['GRPC_PORT', 'NATS_URL']));
      }
    });

    it('labels every object with the Kubernetes recommended labels', () => {
      for (const obj of objects) {
        const labels = obj.metadata.labels ?? {};
        for (const key of ['name', 'instance', 'version', 'component', 'part-of', 'managed-by']) {
          expect([obj.kind, obj.metadata.name, key, typeof labels[`app.kubernetes.io/${key}`]]).toEqual([
            obj.kind,
            obj.metadata.name,
            key,
            'string',
          ]);
        }
      }
    });
  });

  describe('pooled mode (defaults)', () => {
    let objects: K8sObject[] = [];
    beforeAll(() => {
      objects = render(platformChart, { release: 'blue' });
    });

    it('names every service after the release and points the gateway at them', () => {
      const gatewayConfig = find(objects, 'ConfigMap', 'blue-gateway').data ?? {};
      for (const svc of services) {
        const service = find(objects, 'Service', `blue-${svc}`);
        const grpc = service.spec.ports.find((p: { name: string }) => p.name === 'grpc');
        expect(service.spec.ports.map((p: { name: string }) => p.name)).toEqual(
          expect.arrayContaining(['grpc', 'metrics']),
        );
        if (svc !== 'gateway')
          expect(gatewayConfig[`${svc.toUpperCase()}_ADDR`]).toBe(`blue-${svc}:${grpc.port}`);
      }
      expect(gatewayConfig.PORT).toBe('8080');
      // Rate limits and idempotency from gateway values; the store-down fallback divides by the replicas.
      expect(gatewayConfig).toMatchObject({
        RATE_LIMIT_WINDOW_SECONDS: '60',
        RATE_LIMIT_PER_PRINCIPAL: '1200',
        RATE_LIMIT_PER_TENANT: '6000',
        RATE_LIMIT_PER_IP: '60',
        RATE_LIMIT_REPLICAS: '2',
        IDEMPOTENCY_LEASE_MS: '60000',
        // No proxy is trusted unless the operator names one.
        TRUSTED_PROXIES: '',
      });
    });

    it('passes the trusted proxies to the gateway', () => {
      const withProxies = render(platformChart, {
        set: { 'services.gateway.http.trustedProxies': '{10.0.0.0/8,fd00::/8,loopback}' },
      });
      expect(find(withProxies, 'ConfigMap', 'parley-gateway').data?.TRUSTED_PROXIES).toBe(
        '10.0.0.0/8,fd00::/8,loopback',
      );
    });

    it('wires services as services.json declares: <CALLEE>_ADDR for each call, privacy its participants', () => {
      for (const service of declaredServices) {
        const data = find(objects, 'ConfigMap', `blue-${service.name}`).data ?? {};
        const addresses = Object.keys(data).filter((key) => key.endsWith('_ADDR'));
        expect([service.name, addresses.sort()]).toEqual([
          service.name,
          service.calls.map((callee) => `${callee.toUpperCase()}_ADDR`).sort(),
        ]);
      }
      const participants = declaredServices.filter((service) => service.privacyParticipant);
      expect(
        find(objects, 'ConfigMap', 'blue-privacy').data?.PRIVACY_PARTICIPANTS?.split(',').sort(),
      ).toEqual(participants.map((service) => `${service.name}=blue-${service.name}:50051`).sort());
    });

    it('leaves a disabled participant out of privacy fan-out, and refuses a call to an unknown service', () => {
      const withoutGateway = render(platformChart, {
        release: 'blue',
        set: { 'services.gateway.enabled': false },
      });
      expect(find(withoutGateway, 'ConfigMap', 'blue-privacy').data?.PRIVACY_PARTICIPANTS).not.toContain(
        'gateway',
      );
      const unknown = helmTemplate(platformChart, { set: { 'services.billing.calls[0]': 'nowhere' } });
      expect(unknown.ok).toBe(false);
      expect(unknown.stderr).toMatch(/services.billing.calls names nowhere/);
    });

    it('wires billing to a payment processor only when one is named: config, secrets, webhook port', () => {
      expect(find(objects, 'ConfigMap', 'blue-billing').data?.PAYMENT_PROCESSOR).toBe('none');
      expect(
        find(objects, 'Service', 'blue-billing').spec.ports.map((p: { name: string }) => p.name),
      ).not.toContain('payments');
      const paying = render(platformChart, {
        release: 'blue',
        set: {
          'services.billing.payments.processor': 'payment-sim',
          'services.billing.payments.url': 'https://pay.example',
        },
      });
      expect(find(paying, 'ConfigMap', 'blue-billing').data).toMatchObject({
        PAYMENT_PROCESSOR: 'payment-sim',
        PAYMENT_PROCESSOR_URL: 'https://pay.example',
        PAYMENT_WEBHOOK_PORT: '8091',
      });
      const env = containersOf(find(paying, 'Deployment', 'blue-billing'))[0].env as {
        name: string;
        valueFrom?: { secretKeyRef?: { name: string; key: string } };
      }[];
      const ref = (name: string) => env.find((entry) => entry.name === name)?.valueFrom?.secretKeyRef;
      expect(ref('PAYMENT_PROCESSOR_SECRET_KEY')).toEqual({
        name: 'blue-billing-payments',
        key: 'secret-key',
      });
      expect(ref('PAYMENT_WEBHOOK_SECRET')).toEqual({ name: 'blue-billing-payments', key: 'webhook-secret' });
      const service = find(paying, 'Service', 'blue-billing');
      expect(service.spec.ports).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'payments', port: 8091, targetPort: 'payments' }),
        ]),
      );
    });

    it('connects each service to NATS as its own user: a creds file or a user and password from its Secret', () => {
      const creds = render(platformChart, { release: 'blue', set: { 'nats.auth.enabled': true } });
      const password = render(platformChart, {
        release: 'blue',
        set: {
          'nats.auth.enabled': true,
          'nats.auth.type': 'password',
          'services.billing.nats.existingSecret': 'mine',
        },
      });
      for (const svc of services) {
        const credsPod = podSpecOf(find(creds, 'Deployment', `blue-${svc}`));
        expect(find(creds, 'ConfigMap', `blue-${svc}`).data?.NATS_CREDS_FILE).toBe(
          '/etc/parley/nats/user.creds',
        );
        expect(
          credsPod.volumes.find((v: { name: string }) => v.name === 'nats-creds').secret.secretName,
        ).toBe(`blue-${svc}-nats`);
        const passwordPod = podSpecOf(find(password, 'Deployment', `blue-${svc}`));
        const env = passwordPod.containers[0].env as {
          name: string;
          valueFrom?: { secretKeyRef: { name: string; key: string } };
        }[];
        const secret = svc === 'billing' ? 'mine' : `blue-${svc}-nats`;
        expect(env.find((e) => e.name === 'NATS_USER')?.valueFrom?.secretKeyRef).toEqual({
          name: secret,
          key: 'username',
        });
        expect(env.find((e) => e.name === 'NATS_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({
          name: secret,
          key: 'password',
        });
        expect(find(password, 'ConfigMap', `blue-${svc}`).data?.NATS_CREDS_FILE).toBeUndefined();
        expect(passwordPod.volumes.map((v: { name: string }) => v.name)).not.toContain('nats-creds');
      }
    });

    it('configures services to verify migrations and the hook Jobs to apply them', () => {
      for (const svc of services) {
        expect(find(objects, 'ConfigMap', `blue-${svc}`).data?.MIGRATIONS).toBe('verify');
        const job = find(objects, 'Job', `blue-${svc}-migrate`);
        expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
        expect(job.metadata.annotations?.['helm.sh/hook-weight']).toMatch(/^-?\d+$/);
        expect(job.metadata.annotations?.['helm.sh/hook-delete-policy']).toContain('before-hook-creation');
        const [container] = containersOf(job);
        expect(container.command).toEqual(['node', 'dist/main.js', 'migrate']);
        expect(envOf(container).MIGRATIONS).toBe('apply');
        expect(envOf(container).DATABASE_URL).toContain(`/parley_${svc}?`);
      }
    });

    it('reads every credential from an existing Secret, never from values', () => {
      const secretRefs = new Set<string>();
      for (const deployment of byKind(objects, 'Deployment')) {
        for (const entry of containersOf(deployment)[0].env) {
          if (entry.valueFrom?.secretKeyRef) secretRefs.add(entry.valueFrom.secretKeyRef.name);
          if (/PASSWORD|SECRET|TOKEN_|PEPPER|HASH_KEY/.test(entry.name)) expect(entry.value).toBeUndefined();
        }
      }
      expect([...secretRefs].sort()).toEqual(
        [
          ...services.map((s) => `blue-${s}-db`),
          ...services.map((s) => `blue-${s}-internal-token`),
          'blue-internal-token-public',
          'blue-api-key-pepper',
          'blue-subject-hash-key',
          'blue-keycloak-admin',
          'blue-privacy-archive',
          'blue-smtp',
          'blue-numbering-supplier',
          'blue-messaging-smpp',
        ].sort(),
      );
    });

    it('gives each service only its own internal-token private key, and every service the public keys', () => {
      for (const svc of services) {
        const env = containersOf(find(objects, 'Deployment', `blue-${svc}`))[0].env as {
          name: string;
          valueFrom?: { secretKeyRef?: { name: string; key: string } };
        }[];
        const ref = (name: string) => env.find((entry) => entry.name === name)?.valueFrom?.secretKeyRef;
        expect(ref('INTERNAL_TOKEN_PRIVATE_KEY')).toEqual({
          name: `blue-${svc}-internal-token`,
          key: 'private-key',
        });
        expect(ref('INTERNAL_TOKEN_PUBLIC_KEYS')).toEqual({
          name: 'blue-internal-token-public',
          key: 'jwks',
        });
        expect(ref('SUBJECT_HASH_KEY')).toEqual({ name: 'blue-subject-hash-key', key: 'key' });
        expect(env.some((entry) => entry.name === 'INTERNAL_TOKEN_KEY')).toBe(false);
        expect(env.some((entry) => entry.name === 'API_KEY_PEPPER')).toBe(svc === 'identity');
      }
    });

    it('sets no tenant, no NATS prefix and the shared realm', () => {
      for (const svc of services) {
        const data = find(objects, 'ConfigMap', `blue-${svc}`).data ?? {};
        expect(data.TENANCY_MODE).toBe('pooled');
        expect(data.TENANT_ID).toBeUndefined();
        expect(data.NATS_PREFIX).toBeUndefined();
      }
      expect(find(objects, 'ConfigMap', 'blue-identity').data?.KEYCLOAK_REALM).toBe('parley');
    });

    it('changes checksum/config when a setting changes', () => {
      const before = find(objects, 'Deployment', 'blue-billing').spec.template.metadata.annotations;
      const after = find(
        render(platformChart, { release: 'blue', set: { 'services.billing.logLevel': 'debug' } }),
        'Deployment',
        'blue-billing',
      ).spec.template.metadata.annotations;
      expect(after['checksum/config']).not.toBe(before['checksum/config']);
      const data = find(objects, 'ConfigMap', 'blue-billing').data ?? {};
      expect(data.LOG_LEVEL).toBe('info');
    });

    it('lets only the gateway take traffic from outside; gRPC only from the release services', () => {
      const policies = byKind(objects, 'NetworkPolicy').filter(
        (p) => !p.metadata.annotations?.['helm.sh/hook'],
      );
      const peerLabels = (svc: string) => podLabelsOf(find(objects, 'Deployment', `blue-${svc}`));
      for (const policy of policies) {
        const svc = policy.metadata.labels?.['app.kubernetes.io/component'] ?? '';
        const deployment = find(objects, 'Deployment', `blue-${svc}`);
        const ports = Object.fromEntries(
          containersOf(deployment)[0].ports.map((p: { name: string; containerPort: number }) => [
            p.name,
            p.containerPort,
          ]),
        );
        for (const rule of policy.spec.ingress) {
          const rulePorts = rule.ports.map((p: { port: number }) => p.port);
          if (rulePorts.includes(ports.grpc)) {
            // Every gRPC peer is one of this release's services, and nothing else.
            expect(rule.from).toHaveLength(1);
            for (const other of services)
              expect(selects(rule.from[0].podSelector, peerLabels(other))).toBe(true);
            expect(
              selects(rule.from[0].podSelector, {
                ...peerLabels('identity'),
                'app.kubernetes.io/instance': 'green',
              }),
            ).toBe(false);
            expect(rule.from[0].namespaceSelector).toBeUndefined();
          } else if (rulePorts.includes(ports.metrics)) {
            expect(rule.from).toEqual([expect.objectContaining({ namespaceSelector: expect.any(Object) })]);
          } else {
            // The one rule open to the outside: the gateway's HTTP port.
            expect([svc, rulePorts]).toEqual(['gateway', [ports.http]]);
          }
        }
      }
    });

    it('restricts egress to DNS, the dependencies and the release services', () => {
      const identity = find(objects, 'NetworkPolicy', 'blue-identity');
      const egressPorts = identity.spec.egress.flatMap((r: { ports: { port: number }[] }) =>
        r.ports.map((p) => p.port),
      );
      expect(egressPorts.sort()).toEqual(expect.arrayContaining([53, 5432, 4222, 50051, 8080]));
      const numbering = find(objects, 'NetworkPolicy', 'blue-numbering');
      const numberingPorts = numbering.spec.egress.flatMap((r: { ports: { port: number }[] }) =>
        r.ports.map((p) => p.port),
      );
      // Only the gateway and identity talk to Keycloak.
      expect(numberingPorts).not.toContain(8443);
    });

    it('points numbering at its number supplier: URL and timeout from values, the API key from a Secret, egress on 443', () => {
      const supplied = render(platformChart, {
        release: 'blue',
        set: {
          'services.numbering.supplier.url': 'https://numbers.carrier.example',
          'services.numbering.supplier.timeoutMs': 8000,
          'services.numbering.supplier.existingSecret': 'carrier-credentials',
        },
      });
      expect(find(supplied, 'ConfigMap', 'blue-numbering').data).toMatchObject({
        NUMBER_SUPPLIER: 'carrier-sim',
        NUMBER_SUPPLIER_URL: 'https://numbers.carrier.example',
        NUMBER_SUPPLIER_TIMEOUT_MS: '8000',
      });
      const env = containersOf(find(supplied, 'Deployment', 'blue-numbering'))[0].env;
      expect(
        env.find((entry: { name: string }) => entry.name === 'NUMBER_SUPPLIER_API_KEY').valueFrom,
      ).toEqual({
        secretKeyRef: { name: 'carrier-credentials', key: 'api-key' },
      });
      // Only numbering gets the supplier's key and may reach it.
      expect(find(supplied, 'ConfigMap', 'blue-billing').data?.NUMBER_SUPPLIER_URL).toBeUndefined();
      const egressPorts = (name: string) =>
        find(objects, 'NetworkPolicy', name).spec.egress.flatMap((r: { ports: { port: number }[] }) =>
          r.ports.map((p) => p.port),
        );
      expect(egressPorts('blue-numbering')).toContain(443);
      expect(egressPorts('blue-billing')).not.toContain(443);
    });

    it('has a helm test pod that calls the gateway /readyz', () => {
      const pod = find(objects, 'Pod', 'blue-test-readyz');
      expect(pod.metadata.annotations?.['helm.sh/hook']).toBe('test');
      const gatewayService = find(objects, 'Service', 'blue-gateway');
      const httpPort = gatewayService.spec.ports.find((p: { name: string }) => p.name === 'http').port;
      const [container] = containersOf(pod);
      expect(envOf(container).READYZ_URL).toBe(`http://blue-gateway:${httpPort}/readyz`);
      expect(container.command.join(' ')).toContain('READYZ_URL');
    });

    it('exposes the gateway with TLS through an Ingress when enabled', () => {
      const withIngress = render(platformChart, {
        release: 'blue',
        set: { 'ingress.enabled': true, 'ingress.tls.certManagerClusterIssuer': 'letsencrypt' },
      });
      const ingress = find(withIngress, 'Ingress', 'blue-gateway');
      expect(ingress.metadata.annotations?.['cert-manager.io/cluster-issuer']).toBe('letsencrypt');
      expect(ingress.spec.tls[0].secretName).toBe('blue-gateway-tls');
      expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({
        name: 'blue-gateway',
        port: { name: 'http' },
      });
      expect(byKind(objects, 'Ingress')).toHaveLength(0);
    });
  });

  describe('dedicated mode', () => {
    let objects: K8sObject[] = [];
    beforeAll(() => {
      objects = render(platformChart, {
        release: 'whatever',
        namespace: 'tenant-acme',
        valuesFiles: ['charts/parley/ci/dedicated-values.yaml'],
      });
    });

    it('derives object names from the tenant, not the release', () => {
      const names = objects.map((o) => o.metadata.name);
      for (const name of names) expect(name).toMatch(/^parley-acme-/);
      for (const obj of objects) expect(obj.metadata.labels?.['parley.dev/tenant']).toBe('acme');
    });

    it('derives database names, NATS prefix and account, and Keycloak realm from the tenant', () => {
      for (const svc of services) {
        const data = find(objects, 'ConfigMap', `parley-acme-${svc}`).data ?? {};
        expect(data.TENANCY_MODE).toBe('dedicated');
        expect(data.TENANT_ID).toBe('acme');
        expect(data.NATS_PREFIX).toBe('t-acme');
        const deployment = find(objects, 'Deployment', `parley-acme-${svc}`);
        expect(envOf(containersOf(deployment)[0]).DATABASE_URL).toMatch(new RegExp(`/tenant_acme_${svc}\\?`));
        const creds = podSpecOf(deployment).volumes.find((v: { name: string }) => v.name === 'nats-creds');
        expect(creds.secret.secretName).toBe(`parley-acme-${svc}-nats`);
      }
      expect(find(objects, 'ConfigMap', 'parley-acme-identity').data?.KEYCLOAK_REALM).toBe('tenant-acme');
      expect(find(objects, 'ConfigMap', 'parley-acme-gateway').data?.IDENTITY_ADDR).toBe(
        'parley-acme-identity:50051',
      );
    });

    it('routes the tenant host to the gateway with an HTTPRoute', () => {
      const route = find(objects, 'HTTPRoute', 'parley-acme-gateway');
      expect(route.spec.hostnames).toEqual(['acme.api.parley.example']);
      expect(route.spec.rules[0].backendRefs[0].name).toBe('parley-acme-gateway');
    });
  });

  describe('rejected values', () => {
    const rejections: [string, RenderOptions, RegExp][] = [
      ['an unknown top-level key', { set: { replicas: 3 } }, /additional properties 'replicas' not allowed/],
      [
        'an unknown key in a service section',
        { set: { 'services.billing.replica': 2 } },
        /at '\/services\/billing\/replica'/,
      ],
      [
        'a misspelt key in defaults',
        { set: { 'defaults.pdb.enable': true } },
        /additional properties 'enable' not allowed/,
      ],
      ['a wrong type', { set: { 'defaults.replicaCount': 'two' } }, /got string, want integer/],
      [
        'a supplier URL that is not http(s)',
        { set: { 'services.numbering.supplier.url': 'ftp://numbers.example' } },
        /services\/numbering\/supplier\/url/,
      ],
      [
        'supplier settings on a service other than numbering',
        { set: { 'services.billing.supplier.url': 'https://numbers.example' } },
        /services\/billing/,
      ],
      [
        'a payment processor without its URL',
        { set: { 'services.billing.payments.processor': 'payment-sim' } },
        /services\/billing\/payments\/url/,
      ],
      [
        'an unknown payment processor',
        {
          set: {
            'services.billing.payments.processor': 'cash',
            'services.billing.payments.url': 'https://pay.example',
          },
        },
        /services\/billing\/payments\/processor/,
      ],
      [
        'a wrong type in a nested object',
        { set: { 'networkPolicy.enabled': 'yes' } },
        /got string, want boolean/,
      ],
      [
        'replicaCount 0 on a service with the PDB on',
        { set: { 'services.identity.replicaCount': 0 } },
        /services\/identity\/replicaCount/,
      ],
      [
        'replicaCount 0 in defaults with the PDB on',
        { set: { 'defaults.replicaCount': 0 } },
        /defaults\/replicaCount/,
      ],
      ['the latest image tag', { set: { 'image.tag': 'latest' } }, /image\/tag/],
      [
        'a trusted proxy that is not an address or range',
        { set: { 'services.gateway.http.trustedProxies': '{everyone}' } },
        /trustedProxies/,
      ],
      ['dedicated mode without a tenant id', { set: { 'tenancy.mode': 'dedicated' } }, /tenantId/],
      ['an unknown tenancy mode', { set: { 'tenancy.mode': 'shared' } }, /tenancy\/mode/],
      [
        'a privileged escalation',
        { set: { 'defaults.securityContext.allowPrivilegeEscalation': true } },
        /allowPrivilegeEscalation/,
      ],
    ];

    it.each(rejections)('rejects %s in helm template and helm lint', (_what, options, message) => {
      const template = helmTemplate(platformChart, options);
      expect(template.ok).toBe(false);
      expect(template.stderr).toMatch(message);
      const lint = helmLint(platformChart, options);
      expect(lint.ok).toBe(false);
    });

    it('accepts replicaCount 0 once the PDB is disabled for that service', () => {
      const objects = render(platformChart, {
        set: { 'services.identity.replicaCount': 0, 'services.identity.pdb.enabled': false },
      });
      expect(find(objects, 'Deployment', 'parley-identity').spec.replicas).toBe(0);
      expect(byKind(objects, 'PodDisruptionBudget').map((p) => p.metadata.name)).not.toContain(
        'parley-identity',
      );
    });

    it.each([
      [
        'replicaCount 0 with the PDB on',
        { 'defaults.replicaCount': 0 },
        /replicaCount is 0 while pdb.enabled is true/,
      ],
      ['the latest image tag', { 'image.tag': 'latest' }, /tag `latest` is not allowed/],
      ['dedicated mode without a tenant id', { 'tenancy.mode': 'dedicated' }, /tenancy.tenantId is required/],
    ])('still rejects %s when schema validation is skipped', (_what, set, message) => {
      const result = helmTemplate(platformChart, { set, extraArgs: ['--skip-schema-validation'] });
      expect(result.ok).toBe(false);
      expect(result.stderr).toMatch(message);
    });
  });

  describe('NOTES.txt', () => {
    // helm template does not print NOTES.txt, and helm install --dry-run needs a cluster: render
    // it through tpl in a scratch copy of the chart.
    function renderNotes(options: RenderOptions): string {
      const dir = mkdtempSync(join(tmpdir(), 'parley-notes-'));
      try {
        const chart = join(dir, 'parley');
        cpSync(platformChart, chart, { recursive: true });
        cpSync(join(chart, 'templates/NOTES.txt'), join(chart, 'notes.txt'));
        writeFileSync(
          join(chart, 'templates/notes-probe.yaml'),
          'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: notes }\ndata:\n  notes: {{ tpl (.Files.Get "notes.txt") . | quote }}\n',
        );
        const [probe] = render(chart, {
          ...options,
          extraArgs: ['--show-only', 'templates/notes-probe.yaml'],
        });
        return probe?.data?.notes ?? '';
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }

    it('tells how to reach the gateway without an Ingress, and which Secrets to create', () => {
      const notes = renderNotes({ release: 'blue', namespace: 'apps' });
      expect(notes).toContain('kubectl -n apps port-forward svc/blue-gateway 8080:80');
      expect(notes).toContain('helm test blue -n apps');
      for (const svc of services) expect(notes).toContain(`blue-${svc}-db`);
    });

    it("names each service's own NATS Secret when NATS auth is on", () => {
      const notes = renderNotes({ release: 'blue', set: { 'nats.auth.enabled': true } });
      for (const svc of services)
        expect(notes).toContain(`blue-${svc}-nats  (NATS user of ${svc}, account parley)`);
    });

    it('gives the public URL when the Ingress is enabled', () => {
      const notes = renderNotes({
        release: 'blue',
        valuesFiles: ['charts/parley/ci/production-values.yaml'],
      });
      expect(notes).toContain('https://api.parley.example/v1/openapi.json');
      expect(notes).not.toContain('port-forward');
    });
  });

  describe('values.yaml', () => {
    it('documents every value with a ## @param comment that names an existing key', () => {
      const text = readText('charts/parley/values.yaml');
      const values = parse(text) as Record<string, unknown>;
      const documented = [...text.matchAll(/^\s*## @param ([\w.-]+)/gm)].map((m) => m[1] ?? '');
      const exists = (path: string) =>
        path
          .split('.')
          .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], values) !==
        undefined;
      for (const path of documented) expect([path, exists(path)]).toEqual([path, true]);

      // Every leaf is documented itself or under a documented parent (maps passed through whole).
      const leaves: string[] = [];
      const walk = (node: YamlNode | null | undefined, path: string[]) => {
        if (isMap(node) && node.items.length > 0 && !documented.includes(path.join('.'))) {
          for (const pair of node.items) {
            if (isScalar(pair.key)) walk(pair.value as YamlNode, [...path, String(pair.key.value)]);
          }
        } else {
          leaves.push(path.join('.'));
        }
      };
      walk(parseDocument(text).contents, []);
      const undocumented = leaves.filter(
        (leaf) => !documented.some((d) => leaf === d || leaf.startsWith(`${d}.`)),
      );
      expect(undocumented).toEqual([]);
    });
  });
});
