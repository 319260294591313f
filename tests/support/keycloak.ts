// A real Keycloak server for end-to-end tests: the keycloak-quarkus-dist zip from Maven Central, cached
// outside the repository, started with `kc.sh start-dev` on loopback with an in-memory database.
//
// Layout of the cache (default `${PARLEY_CACHE_DIR:-$HOME/.cache/parley}/keycloak/<version>`):
//   keycloak-<version>/   the unpacked distribution, already re-augmented for the options used here, so a
//                         start skips Quarkus' build step. It appears in one rename, so it is complete.
// Each server runs from its own temporary "overlay" home: copies of bin/kc.sh, conf/ and lib/quarkus/
// (the small parts Keycloak writes to) and symlinks to the read-only jars, plus its own data/ directory.
// Servers therefore never write into the shared cache and several can run at once.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  constants as fsConstants,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

/** Keycloak supports OpenJDK 17, 21 and 25; this release runs on all three (tested on 17 and 25). */
export const KEYCLOAK_VERSION = '26.7.3';
const MIN_JAVA = 17;
const ARTIFACT = `org.keycloak:keycloak-quarkus-dist:${KEYCLOAK_VERSION}:zip`;
/** Build-time options: must be the same for the pre-augmentation and every start, else Quarkus re-augments. */
const BUILD_OPTIONS = ['--db=dev-mem', '--health-enabled=true'];
const READY_MARKER = '.parley-ready';
const TAIL_LINES = 50;

export interface JavaRuntime {
  javaHome: string;
  version: number;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

/** Major version from "17.0.15", "25", "1.8.0_392" or "21-ea". */
function majorOf(version: string): number | undefined {
  const match = /^(\d+)(?:\.(\d+))?/.exec(version);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

function javaVersion(javaHome: string): number | undefined {
  try {
    const release = readFileSync(join(javaHome, 'release'), 'utf8');
    const match = /^JAVA_VERSION="([^"]+)"/m.exec(release);
    if (match?.[1]) return majorOf(match[1]);
  } catch {
    // No release file: ask the binary.
  }
  const run = spawnSync(join(javaHome, 'bin', 'java'), ['-version'], { encoding: 'utf8', timeout: 15_000 });
  const match = /version "([^"]+)"/.exec(`${run.stderr ?? ''}${run.stdout ?? ''}`);
  return match?.[1] ? majorOf(match[1]) : undefined;
}

/** Finds a JDK able to run KEYCLOAK_VERSION: JAVA_HOME, then /usr/lib/jvm/*, then `java` on PATH; picks the newest that meets the minimum. */
export function findJava(env: NodeJS.ProcessEnv = process.env): JavaRuntime | undefined {
  const candidates: string[] = [];
  if (env.JAVA_HOME) candidates.push(env.JAVA_HOME);
  try {
    for (const name of readdirSync('/usr/lib/jvm').sort()) candidates.push(join('/usr/lib/jvm', name));
  } catch {
    // No /usr/lib/jvm.
  }
  const java = onPath('java', env);
  if (java) {
    try {
      candidates.push(dirname(dirname(realpathSync(java))));
    } catch {
      // Dangling symlink.
    }
  }

  const seen = new Set<string>();
  let best: JavaRuntime | undefined;
  for (const candidate of candidates) {
    let javaHome: string;
    try {
      javaHome = realpathSync(candidate);
    } catch {
      continue;
    }
    if (seen.has(javaHome)) continue;
    seen.add(javaHome);
    if (!isExecutable(join(javaHome, 'bin', 'java'))) continue;
    const version = javaVersion(javaHome);
    if (version === undefined || version < MIN_JAVA) continue;
    if (!best || version > best.version) best = { javaHome, version };
  }
  return best;
}

/** Why Keycloak tests cannot run here (one line), or undefined when they can. */
export function keycloakUnavailableReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (process.platform === 'win32')
    return `Keycloak tests need a POSIX shell for kc.sh (platform ${process.platform})`;
  if (!findJava(env))
    return `Keycloak ${KEYCLOAK_VERSION} needs Java ${MIN_JAVA}+ and none was found (JAVA_HOME, /usr/lib/jvm, PATH)`;
  if (
    !onPath('mvn', env) &&
    !existsSync(join(defaultCacheDir(), `keycloak-${KEYCLOAK_VERSION}`, READY_MARKER))
  )
    return `fetching Keycloak ${KEYCLOAK_VERSION} needs Maven (mvn), which was not found on PATH`;
  return undefined;
}

function defaultCacheDir(): string {
  const root = process.env.PARLEY_CACHE_DIR || join(homedir(), '.cache', 'parley');
  return join(root, 'keycloak', KEYCLOAK_VERSION);
}

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.slice(-2000)}`);
}

/**
 * The distribution zip, fetched from Maven Central by Maven itself (the ordinary client for that registry)
 * into its local repository, which caches it outside this repository. Checksums are verified strictly.
 */
function fetchWithMaven(): string {
  const mvn = onPath('mvn', process.env);
  if (!mvn) throw new Error('Maven (mvn) is needed to fetch the Keycloak distribution');
  const repository = process.env.PARLEY_MAVEN_REPO || join(homedir(), '.m2', 'repository');
  const zip = join(
    repository,
    'org',
    'keycloak',
    'keycloak-quarkus-dist',
    KEYCLOAK_VERSION,
    `keycloak-quarkus-dist-${KEYCLOAK_VERSION}.zip`,
  );
  if (!existsSync(zip)) {
    run(
      mvn,
      [
        '-B',
        '-q',
        '--strict-checksums',
        `-Dmaven.repo.local=${repository}`,
        'dependency:get',
        `-Dartifact=${ARTIFACT}`,
        '-Dtransitive=false',
      ],
      tmpdir(),
    );
  }
  if (!existsSync(zip)) throw new Error(`Maven reported success but ${zip} is missing`);
  return zip;
}

/** unzip if installed, else the JDK's jar, else Python's zipfile module. */
function unpack(zip: string, into: string): void {
  const unzip = onPath('unzip', process.env);
  if (unzip) return run(unzip, ['-q', zip, '-d', into], into);
  const javaHome = findJava()?.javaHome;
  if (javaHome && isExecutable(join(javaHome, 'bin', 'jar')))
    return run(join(javaHome, 'bin', 'jar'), ['xf', zip], into);
  const python = onPath('python3', process.env);
  if (python) return run(python, ['-m', 'zipfile', '-e', zip, into], into);
  throw new Error('cannot unpack the Keycloak zip: install unzip, a JDK (jar) or python3');
}

/** Fetches the zip once with Maven (checksums verified strictly; Maven's local repository caches it) and unpacks the distribution into the cache dir (default `${PARLEY_CACHE_DIR:-$HOME/.cache/parley}/keycloak/<version>`); returns the unpacked home. Safe if two processes race (download to temp file then rename). */
export async function ensureKeycloakDistribution(
  options: { cacheDir?: string; log?: (line: string) => void } = {},
): Promise<string> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const log = options.log ?? (() => {});
  const home = join(cacheDir, `keycloak-${KEYCLOAK_VERSION}`);
  if (existsSync(join(home, READY_MARKER))) return home;

  mkdirSync(cacheDir, { recursive: true });
  // Leftovers of a process killed mid-way (a live one is done within minutes).
  for (const name of readdirSync(cacheDir)) {
    const path = join(cacheDir, name);
    if (name.startsWith('.staging-') && Date.now() - statSync(path).mtimeMs > 3_600_000)
      rmSync(path, { recursive: true, force: true });
  }
  const staging = mkdtempSync(join(cacheDir, '.staging-'));
  try {
    const started = Date.now();
    log(`keycloak: fetching ${ARTIFACT} with Maven`);
    const zip = fetchWithMaven();
    log(`keycloak: fetched in ${((Date.now() - started) / 1000).toFixed(1)} s, unpacking`);
    unpack(zip, staging);
    const unpacked = join(staging, `keycloak-${KEYCLOAK_VERSION}`);
    for (const script of readdirSync(join(unpacked, 'bin'))) {
      if (script.endsWith('.sh')) chmodSync(join(unpacked, 'bin', script), 0o755);
    }
    // Quarkus re-augments (≈40 s on 2 cores) the first time it sees the dev-mode build options. Do it once
    // here, in the private staging copy, by starting the server once.
    if (findJava()) {
      const augmentStarted = Date.now();
      log('keycloak: first start, re-augmenting the distribution for dev mode');
      const server = await launch(unpacked, { timeoutMs: 300_000, log: options.log });
      await server.stop();
      rmSync(join(unpacked, 'data'), { recursive: true, force: true });
      log(`keycloak: re-augmented in ${((Date.now() - augmentStarted) / 1000).toFixed(1)} s`);
    }
    writeFileSync(join(unpacked, READY_MARKER), `${new Date().toISOString()}\n`);
    try {
      renameSync(unpacked, home);
    } catch (error) {
      // Another process finished first (rename onto a non-empty directory fails): use its copy.
      if (!existsSync(join(home, READY_MARKER))) throw error;
    }
    return home;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

export interface KeycloakServer {
  url: string;
  adminUsername: string;
  adminPassword: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<{ port: number; release: () => Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { port, release: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The running home's private files, with the read-only bulk of the distribution symlinked. */
function overlayHome(dist: string, into: string): string {
  const home = join(into, 'keycloak');
  mkdirSync(join(home, 'bin'), { recursive: true });
  copyFileSync(join(dist, 'bin', 'kc.sh'), join(home, 'bin', 'kc.sh'));
  chmodSync(join(home, 'bin', 'kc.sh'), 0o755);
  // Timestamps kept: Quarkus compares them with the ones recorded at augmentation.
  cpSync(join(dist, 'conf'), join(home, 'conf'), { recursive: true, preserveTimestamps: true });
  cpSync(join(dist, 'providers'), join(home, 'providers'), { recursive: true, preserveTimestamps: true });
  mkdirSync(join(home, 'lib'));
  copyFileSync(join(dist, 'lib', 'quarkus-run.jar'), join(home, 'lib', 'quarkus-run.jar'));
  cpSync(join(dist, 'lib', 'quarkus'), join(home, 'lib', 'quarkus'), {
    recursive: true,
    preserveTimestamps: true,
  });
  for (const shared of ['lib/lib', 'lib/app', 'themes', 'version.txt']) {
    if (existsSync(join(dist, shared))) symlinkSync(join(dist, shared), join(home, shared));
  }
  return home;
}

/** Every descendant of pid (Linux /proc), deepest last. */
function descendants(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Exited meanwhile.
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  for (const pid of [child.pid, ...descendants(child.pid)]) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

// Runs kc.sh in the background and forwards SIGTERM to it; if this Node process disappears without stopping
// the server (a killed Jest worker), stops Keycloak itself and removes the temporary data.
const WATCHDOG = `
"$@" &
kc=$!
trap 'kill -TERM $kc 2>/dev/null; wait $kc; exit 143' TERM INT
while kill -0 "$PARLEY_KC_PARENT" 2>/dev/null; do
  if ! kill -0 $kc 2>/dev/null; then wait $kc; exit $?; fi
  sleep 1
done
kill -TERM $kc 2>/dev/null
wait $kc
[ -n "$PARLEY_KC_TEMP" ] && rm -rf "$PARLEY_KC_TEMP"
`;

async function launch(
  home: string,
  options: { timeoutMs?: number; log?: (line: string) => void; temp?: string },
): Promise<KeycloakServer> {
  const java = findJava();
  if (!java) throw new Error(keycloakUnavailableReason());
  const timeoutMs = options.timeoutMs ?? 180_000;
  const http = await freePort();
  const management = await freePort();
  await Promise.all([http.release(), management.release()]);
  const url = `http://127.0.0.1:${http.port}`;
  const adminUsername = 'admin';
  const adminPassword = randomBytes(12).toString('hex');

  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Keycloak and Quarkus read KC_* / QUARKUS_* and kc.sh reads JAVA; none of the developer's may leak in.
    if (!/^(KC_|QUARKUS_|KEYCLOAK_)/.test(key) && key !== 'JAVA') env[key] = value;
  }
  Object.assign(env, {
    JAVA_HOME: java.javaHome,
    KC_BOOTSTRAP_ADMIN_USERNAME: adminUsername,
    KC_BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
    PARLEY_KC_PARENT: String(process.pid),
    PARLEY_KC_TEMP: options.temp ?? '',
    // C1 only: starts ~20% faster on 2 cores; tests need no peak throughput.
    JAVA_OPTS_APPEND: [process.env.JAVA_OPTS_APPEND, '-XX:TieredStopAtLevel=1'].filter(Boolean).join(' '),
  });
  const args = [
    'start-dev',
    ...BUILD_OPTIONS,
    '--http-host=127.0.0.1',
    `--http-port=${http.port}`,
    `--http-management-port=${management.port}`,
    // Fixes the issuer to http://127.0.0.1:<port>/realms/<realm> however the server is reached.
    `--hostname=${url}`,
  ];
  const child = spawn('/bin/sh', ['-c', WATCHDOG, 'keycloak-watchdog', join(home, 'bin', 'kc.sh'), ...args], {
    cwd: options.temp ?? home,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });

  const tail: string[] = [];
  const onLine = (line: string) => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    options.log?.(line);
  };
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(onLine);
    });
    stream?.on('end', () => partial && onLine(partial));
  }
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let exitCode: number | null | undefined;
  child.once('exit', (code, signal) => (exitCode = code ?? (signal ? -1 : null)));

  const cleanup = () => {
    if (options.temp) rmSync(options.temp, { recursive: true, force: true });
  };
  const onExit = () => {
    killTree(child, 'SIGKILL');
    cleanup();
  };
  process.on('exit', onExit);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (exitCode === undefined) {
        const tree = child.pid === undefined ? [] : descendants(child.pid);
        child.kill('SIGTERM');
        const timer = new Promise<'timeout'>((resolve) =>
          setTimeout(() => resolve('timeout'), 20_000).unref(),
        );
        if ((await Promise.race([exited, timer])) === 'timeout') {
          killTree(child, 'SIGKILL');
          for (const pid of tree) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // Already gone.
            }
          }
          await exited;
        }
      }
      process.off('exit', onExit);
      cleanup();
    })());

  const failure = (why: string) =>
    new Error(
      `Keycloak ${KEYCLOAK_VERSION} ${why}; last ${tail.length} lines of output:\n${tail.join('\n')}`,
    );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitCode !== undefined) {
      await stop();
      throw failure(`exited (${exitCode}) before it was ready`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw failure(`was not ready after ${Math.round(timeoutMs / 1000)} s`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${management.port}/health/ready`, {
        signal: AbortSignal.timeout(5_000),
      });
      if (response.ok && ((await response.json()) as { status?: string }).status === 'UP') break;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { url, adminUsername, adminPassword, stop };
}

/** Starts `kc.sh start-dev` on 127.0.0.1 with free ports (HTTP and management), bootstrap admin credentials, health enabled, its data in a fresh temp dir; resolves when /health/ready says UP (timeout configurable, default 180 s); stop() sends SIGTERM, waits, SIGKILLs after 20 s, removes the temp data. Output is captured; on failure the error includes the last 50 lines. */
export async function startKeycloak(
  options: { timeoutMs?: number; log?: (line: string) => void } = {},
): Promise<KeycloakServer> {
  const reason = keycloakUnavailableReason();
  if (reason) throw new Error(reason);
  const dist = await ensureKeycloakDistribution({ log: options.log });
  const temp = mkdtempSync(join(tmpdir(), 'parley-keycloak-'));
  try {
    return await launch(overlayHome(dist, temp), { ...options, temp });
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}

/** Gets an admin access token from the master realm (password grant, admin-cli) — handy for tests. */
export async function adminToken(server: KeycloakServer): Promise<string> {
  const response = await fetch(`${server.url}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'admin-cli',
      username: server.adminUsername,
      password: server.adminPassword,
    }),
  });
  if (!response.ok) throw new Error(`admin token: HTTP ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}
