// Helpers for the chart tests: find helm and kubeconform (env HELM_BIN / KUBECONFORM_BIN,
// else the cache that tools/ci/install-k8s-tools.sh fills, else PATH), render charts, parse
// the output and validate it against the offline Kubernetes schemas.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { describe } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { loadServices } from '../../../tools/dev/src/services';

export const repoRoot = resolve(__dirname, '../../..');
export const platformChart = join(repoRoot, 'charts/parley');
export const tenantChart = join(repoRoot, 'charts/tenant');
/** Every service, as services.json at the repository root declares them. */
export const declaredServices = loadServices(resolve(__dirname, '../../..'));
export const services = declaredServices.map((service) => service.name);

/** Must match KUBERNETES_VERSION in tools/ci/install-k8s-tools.sh. */
export const kubernetesVersion = process.env.PARLEY_KUBERNETES_VERSION?.replace(/^v/, '') ?? '1.33.4';
const toolsDir = process.env.PARLEY_TOOLS_DIR ?? join(homedir(), '.cache/parley/bin');
const schemaDir = process.env.PARLEY_K8S_SCHEMA_DIR ?? join(dirname(toolsDir), 'k8s-schemas');

function findTool(name: string, envVar: string): string | undefined {
  const fromEnv = process.env[envVar];
  if (fromEnv) return fromEnv;
  const cached = join(toolsDir, name);
  if (existsSync(cached)) return cached;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export const helmBin = findTool('helm', 'HELM_BIN');
export const kubeconformBin = findTool('kubeconform', 'KUBECONFORM_BIN');
const schemasPresent = existsSync(join(schemaDir, `v${kubernetesVersion}-standalone-strict`, '.complete'));
const inCi = process.env.CI === 'true';

/**
 * `describe`, or `describe.skip` with a one-line notice when the tools are missing outside CI.
 * In CI the suites always run, so a missing tool fails them instead of hiding them.
 */
export function describeWithTools(): (name: string, fn: () => void) => void {
  const missing = [
    helmBin ? null : 'helm',
    kubeconformBin ? null : 'kubeconform',
    schemasPresent ? null : 'Kubernetes schemas',
  ].filter((m): m is string => m !== null);
  if (missing.length === 0 || inCi) return describe;
  console.log(
    `chart tests skipped: ${missing.join(', ')} not found (run bash tools/ci/install-k8s-tools.sh)`,
  );
  return describe.skip;
}

function requireTool(bin: string | undefined, name: string): string {
  if (!bin)
    throw new Error(`${name} not found: set ${name.toUpperCase()}_BIN or run tools/ci/install-k8s-tools.sh`);
  return bin;
}

export interface RunResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

function run(bin: string, args: string[], input?: string): RunResult {
  try {
    const stdout = execFileSync(bin, args, {
      cwd: repoRoot,
      input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    return { ok: true, stdout, stderr: '' };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; status?: number };
    if (e.status === undefined || e.status === null) throw error;
    return { ok: false, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export function helm(args: string[]): RunResult {
  return run(requireTool(helmBin, 'helm'), args);
}

/** Options for rendering: values files (relative to the repo root) and --set pairs. */
export interface RenderOptions {
  release?: string;
  namespace?: string;
  valuesFiles?: string[];
  set?: Record<string, string | number | boolean>;
  extraArgs?: string[];
}

function valueArgs(options: RenderOptions): string[] {
  const args: string[] = [];
  for (const file of options.valuesFiles ?? []) args.push('-f', join(repoRoot, file));
  for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set', `${key}=${String(value)}`);
  return [...args, ...(options.extraArgs ?? [])];
}

export function helmTemplate(chart: string, options: RenderOptions = {}): RunResult {
  return helm([
    'template',
    options.release ?? 'parley',
    chart,
    '--namespace',
    options.namespace ?? 'parley',
    '--kube-version',
    kubernetesVersion,
    ...valueArgs(options),
  ]);
}

export function helmLint(chart: string, options: RenderOptions = {}): RunResult {
  return helm(['lint', '--strict', chart, '--kube-version', kubernetesVersion, ...valueArgs(options)]);
}

/** A Kubernetes object as rendered; only the fields the tests read are typed. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  data?: Record<string, string>;
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((obj): obj is K8sObject => obj !== null && typeof obj === 'object');
}

/** Renders and parses, failing with helm's own message when rendering fails. */
export function render(chart: string, options: RenderOptions = {}): K8sObject[] {
  const result = helmTemplate(chart, options);
  if (!result.ok) throw new Error(`helm template failed:\n${result.stderr}`);
  return parseManifests(result.stdout);
}

export interface KubeconformSummary {
  valid: number;
  invalid: number;
  errors: number;
  skipped: number;
  messages: string[];
}

/** Validates manifests against the offline Kubernetes schemas (strict: unknown fields fail). */
export function kubeconform(manifests: string, skipKinds: string[] = []): KubeconformSummary {
  const bin = requireTool(kubeconformBin, 'kubeconform');
  if (!schemasPresent)
    throw new Error(`no Kubernetes schemas in ${schemaDir}: run tools/ci/install-k8s-tools.sh`);
  const args = [
    '-strict',
    '-summary',
    '-output',
    'json',
    '-kubernetes-version',
    kubernetesVersion,
    '-schema-location',
    schemaDir,
  ];
  if (skipKinds.length > 0) args.push('-skip', skipKinds.join(','));
  const result = run(bin, [...args, '-'], manifests);
  const report = JSON.parse(result.stdout) as {
    resources?: { kind: string; name: string; status: string; msg: string }[];
    summary: { valid: number; invalid: number; errors: number; skipped: number };
  };
  return {
    ...report.summary,
    messages: (report.resources ?? [])
      .filter((r) => r.status !== 'statusValid' && r.status !== 'statusSkipped')
      .map((r) => `${r.kind}/${r.name}: ${r.msg}`),
  };
}

export function readText(relativePath: string): string {
  return readFileSync(join(repoRoot, relativePath), 'utf8');
}

export function byKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(
      `no ${kind} named ${name}; have ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
    );
  return found;
}

/** The pod spec of a workload: Deployment and Job templates, or a Pod itself. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function podSpecOf(obj: K8sObject): any {
  if (obj.kind === 'Pod') return obj.spec;
  return obj.spec?.template?.spec;
}

export function podLabelsOf(obj: K8sObject): Record<string, string> {
  if (obj.kind === 'Pod') return obj.metadata.labels ?? {};
  return obj.spec?.template?.metadata?.labels ?? {};
}

/** Whether a label selector's matchLabels and matchExpressions (In, Exists) select these labels. */
export function selects(
  selector: {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
  },
  labels: Record<string, string>,
): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    if (e.operator === 'In') return value !== undefined && (e.values ?? []).includes(value);
    if (e.operator === 'NotIn') return value === undefined || !(e.values ?? []).includes(value);
    if (e.operator === 'Exists') return value !== undefined;
    if (e.operator === 'DoesNotExist') return value === undefined;
    throw new Error(`unknown selector operator ${e.operator}`);
  });
  return byLabels && byExpressions;
}
