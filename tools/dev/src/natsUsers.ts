// `npm run nats:users -- [--prefix t-acme] [--account parley] [--format nsc|config]`: the NATS user of every
// service in services.json with its permissions, for a cluster. `nsc` (default) prints the `nsc add user`
// commands of decentralised JWT auth (deploy/README.md, "NATS users"); `config` prints an `authorization`
// block for a nats-server configuration whose passwords come from environment variables.
import { natsPermissions, type NatsPermissions } from '@parley/kit/src/events/permissions';
import { loadServices, type ServiceDeclaration } from './services';

export interface NatsUsersOptions {
  prefix?: string;
  account: string;
  format: 'nsc' | 'config';
}

function permissionsOf(service: ServiceDeclaration, prefix?: string): NatsPermissions {
  return natsPermissions({
    service: service.name,
    publishesEvents: service.publishesEvents,
    privacyParticipant: service.privacyParticipant,
    consumes: service.consumes,
    prefix,
  });
}

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/** The commands or configuration that create one user per service. */
export function natsUsers(services: ServiceDeclaration[], options: NatsUsersOptions): string {
  const lines: string[] = [];
  if (options.format === 'nsc') {
    for (const service of services) {
      const { publish, subscribe } = permissionsOf(service, options.prefix);
      lines.push(
        [
          `nsc add user --account ${shellQuote(options.account)} --name ${shellQuote(service.name)}`,
          ...publish.map((subject) => `  --allow-pub ${shellQuote(subject)}`),
          ...subscribe.map((subject) => `  --allow-sub ${shellQuote(subject)}`),
        ].join(' \\\n'),
      );
    }
    return `${lines.join('\n')}\n`;
  }
  lines.push('authorization: {', '  users: [');
  for (const service of services) {
    const { publish, subscribe } = permissionsOf(service, options.prefix);
    const variable = `NATS_PASSWORD_${service.name.toUpperCase()}`;
    lines.push(
      `    { user: ${JSON.stringify(service.name)}, password: $${variable}, permissions: {`,
      `        publish: { allow: ${JSON.stringify(publish)} },`,
      `        subscribe: { allow: ${JSON.stringify(subscribe)} } } }`,
    );
  }
  lines.push('  ]', '}');
  return `${lines.join('\n')}\n`;
}

function parseArgs(argv: string[]): NatsUsersOptions {
  const value = (flag: string) => {
    const index = argv.indexOf(flag);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const format = value('--format') ?? 'nsc';
  if (format !== 'nsc' && format !== 'config') throw new Error('--format must be nsc or config');
  const prefix = value('--prefix');
  if (prefix !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(prefix))
    throw new Error('--prefix must be lowercase letters, digits and hyphens (NATS_PREFIX)');
  return { prefix, account: value('--account') ?? 'parley', format };
}

if (require.main === module) {
  try {
    process.stdout.write(natsUsers(loadServices(), parseArgs(process.argv.slice(2))));
  } catch (error) {
    console.error(`nats:users: ${(error as Error).message}`);
    process.exit(2);
  }
}
