import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One service as `services.json` at the repository root declares it. That file is the one list of
 * services: `npm start` runs them from it, the NATS users and their permissions derive from it, and
 * `tools/new-service` adds to it (and to the chart values and skaffold.yaml, which tests keep in step).
 */
export interface ServiceDeclaration {
  /** One lowercase word: folder, package `@parley/<name>`, database, stream `<NAME>`, subjects `<name>.>`. */
  name: string;
  /** Owns the JetStream stream `<NAME>` (subjects `<name>.>`) and publishes events through its outbox. */
  publishesEvents: boolean;
  /** Answers privacy tasks (export, erase, ...) and sends receipts to privacy's stream. */
  privacyParticipant: boolean;
  /** Services it calls over gRPC; it is given `<CALLEE>_ADDR` for each. */
  calls: string[];
  /** Other services whose streams it consumes (privacy's stream is implied for a participant). */
  consumes: string[];
}

export const SERVICE_NAME = /^[a-z][a-z]{2,19}$/;

export const repoRoot = join(__dirname, '..', '..', '..');

/** Reads and checks a services.json; every problem is named with the service and field. */
export function parseServices(text: string, source = 'services.json'): ServiceDeclaration[] {
  const problems: string[] = [];
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source}: not JSON (${(error as Error).message})`);
  }
  const list = (document as { services?: unknown }).services;
  if (!Array.isArray(list) || list.length === 0) throw new Error(`${source}: "services" must be a list`);
  const names = new Set<string>();
  const services = list.map((entry: Record<string, unknown>, index) => {
    const where = `${source}: services[${index}]${typeof entry?.name === 'string' ? ` (${entry.name})` : ''}`;
    if (typeof entry?.name !== 'string' || !SERVICE_NAME.test(entry.name))
      problems.push(`${where}.name must be one lowercase word of 3-20 letters`);
    else if (names.has(entry.name)) problems.push(`${where}.name is declared twice`);
    else names.add(entry.name);
    for (const flag of ['publishesEvents', 'privacyParticipant'])
      if (typeof entry?.[flag] !== 'boolean') problems.push(`${where}.${flag} must be true or false`);
    for (const field of ['calls', 'consumes'])
      if (!Array.isArray(entry?.[field]) || !(entry[field] as unknown[]).every((v) => typeof v === 'string'))
        problems.push(`${where}.${field} must be a list of service names`);
    return entry as unknown as ServiceDeclaration;
  });
  if (problems.length === 0) {
    for (const service of services) {
      for (const field of ['calls', 'consumes'] as const)
        for (const other of service[field])
          if (!names.has(other) || other === service.name)
            problems.push(
              `${source}: ${service.name}.${field} names "${other}", which is not another service`,
            );
      for (const other of service.consumes)
        if (!services.find((candidate) => candidate.name === other)?.publishesEvents)
          problems.push(`${source}: ${service.name} consumes ${other}, which publishes no events`);
    }
  }
  if (problems.length) throw new Error(problems.join('\n'));
  return services;
}

export function loadServices(root = repoRoot): ServiceDeclaration[] {
  const path = join(root, 'services.json');
  return parseServices(readFileSync(path, 'utf8'), path);
}

/** The streams a service reads: those it declares, plus privacy's when it is a participant. */
export function consumedStreams(service: ServiceDeclaration): string[] {
  const owners = new Set(service.consumes);
  if (service.privacyParticipant) owners.add('privacy');
  owners.delete(service.name);
  return [...owners];
}

/** `<CALLEE>_ADDR` of each service it calls, from the callees' addresses. */
export function calleeAddresses(
  service: ServiceDeclaration,
  addressOf: (name: string) => string,
): Record<string, string> {
  return Object.fromEntries(
    service.calls.map((callee) => [`${callee.toUpperCase()}_ADDR`, addressOf(callee)]),
  );
}

/** `name=host:port,...` of every privacy participant: privacy's PRIVACY_PARTICIPANTS. */
export function privacyParticipants(
  services: ServiceDeclaration[],
  addressOf: (name: string) => string,
): string {
  return services
    .filter((service) => service.privacyParticipant)
    .map((service) => `${service.name}=${addressOf(service.name)}`)
    .join(',');
}

/**
 * The variables that wire a service to the others, from the declaration alone: `<CALLEE>_ADDR` for each
 * service it calls and, for privacy, the participants it fans tasks out to.
 */
export function serviceWiring(
  service: ServiceDeclaration,
  services: ServiceDeclaration[],
  addressOf: (name: string) => string,
): Record<string, string> {
  const env = calleeAddresses(service, addressOf);
  if (service.name === 'privacy') env.PRIVACY_PARTICIPANTS = privacyParticipants(services, addressOf);
  return env;
}
