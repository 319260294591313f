import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadServices } from '../../tools/dev/src/services';

interface ChartEntry {
  enabled?: boolean;
  privacyParticipant?: boolean;
  calls?: string[];
}

interface SkaffoldRelease {
  chartPath: string;
  setValueTemplates?: Record<string, string>;
}

/**
 * Everything services.json declares that a file no program reads it for must repeat, checked in one place:
 * the platform chart's `services` map (with the same calls and privacy participation), the tenant chart's
 * list, skaffold.yaml's images and release values, and each service's Dockerfile. Returns the problems.
 */
export function serviceDeclarationProblems(root: string): string[] {
  const declared = loadServices(root);
  const names = declared.map((service) => service.name);
  const problems: string[] = [];
  const read = (path: string) => readFileSync(join(root, path), 'utf8');

  const chart = (parse(read('charts/parley/values.yaml')) as { services: Record<string, ChartEntry> })
    .services;
  for (const extra of Object.keys(chart).filter((name) => !names.includes(name)))
    problems.push(`charts/parley/values.yaml: services.${extra} is not in services.json`);
  for (const service of declared) {
    const entry = chart[service.name];
    if (!entry) {
      problems.push(`charts/parley/values.yaml: no services.${service.name}`);
      continue;
    }
    if (entry.privacyParticipant !== service.privacyParticipant)
      problems.push(
        `charts/parley/values.yaml: services.${service.name}.privacyParticipant differs from services.json`,
      );
    if (JSON.stringify([...(entry.calls ?? [])].sort()) !== JSON.stringify([...service.calls].sort()))
      problems.push(`charts/parley/values.yaml: services.${service.name}.calls differs from services.json`);
    if (!existsSync(join(root, 'services', service.name, 'Dockerfile')))
      problems.push(`services/${service.name}/Dockerfile is missing`);
  }

  const tenant = (parse(read('charts/tenant/values.yaml')) as { services: string[] }).services;
  if (JSON.stringify([...tenant].sort()) !== JSON.stringify([...names].sort()))
    problems.push(`charts/tenant/values.yaml: services [${tenant}] differ from services.json [${names}]`);

  const skaffold = parse(read('skaffold.yaml')) as {
    build: { artifacts: { image: string; docker: { dockerfile: string } }[] };
    deploy: { helm: { releases: SkaffoldRelease[] } };
    profiles: { deploy?: { helm: { releases: SkaffoldRelease[] } } }[];
  };
  const images = skaffold.build.artifacts.map((artifact) => artifact.image).sort();
  if (JSON.stringify(images) !== JSON.stringify(names.map((name) => `parley/${name}`).sort()))
    problems.push(`skaffold.yaml: images [${images}] differ from services.json`);
  const releases = [
    ...skaffold.deploy.helm.releases,
    ...skaffold.profiles.flatMap((profile) => profile.deploy?.helm.releases ?? []),
  ].filter((release) => release.chartPath === 'charts/parley');
  for (const release of releases)
    for (const name of names)
      if (
        release.setValueTemplates?.[`services.${name}.image.repository`] !== `{{.IMAGE_REPO_parley_${name}}}`
      )
        problems.push(
          `skaffold.yaml: a charts/parley release does not set services.${name}.image.repository`,
        );
  return problems;
}

const repo = join(__dirname, '..', '..');

/** A copy of the files tools/new-service changes, to run it with `--root` without touching the repository. */
export function scratchCopy(): string {
  const scratch = mkdtempSync(join(tmpdir(), 'parley-new-service-'));
  mkdirSync(join(scratch, 'proto'));
  copyFileSync(join(repo, 'proto', 'index.ts'), join(scratch, 'proto', 'index.ts'));
  for (const file of ['services.json', 'skaffold.yaml', '.prettierrc.json'])
    copyFileSync(join(repo, file), join(scratch, file));
  for (const chart of ['parley', 'tenant'])
    cpSync(join(repo, 'charts', chart), join(scratch, 'charts', chart), { recursive: true });
  for (const service of loadServices(repo))
    cpSync(
      join(repo, 'services', service.name, 'Dockerfile'),
      join(scratch, 'services', service.name, 'Dockerfile'),
    );
  return scratch;
}
