import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * What the launcher needs to know about processes it did not start itself: those an earlier launcher left
 * behind when it was killed outright (SIGKILL, a closed terminal before SIGHUP was handled, a crash).
 * Linux answers through /proc; elsewhere only "is a process with this pid alive" is known.
 */

/** True while the process runs; a zombie (exited, not yet reaped by its new parent) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may hold spaces and parentheses, the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Reads /proc/<pid>/<file>, or undefined where there is no /proc or the process is gone. */
function proc(pid: number, file: string): string | undefined {
  try {
    return file === 'cwd' ? readlinkSync(`/proc/${pid}/cwd`) : readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * True when the process belongs to the launcher whose data folder is `home`: its command line or
 * environment names it. (PostgreSQL's server processes rewrite their command lines: `processesInside`
 * finds them by their working directory, the data directory.)
 */
export function belongsTo(pid: number, home: string): boolean {
  if (proc(pid, 'cmdline')?.includes(home)) return true;
  return proc(pid, 'environ')?.split('\0').includes(`PARLEY_HOME=${home}`) ?? false;
}

/** True when pid is a running dev launcher (`tools/dev/src/main.ts`), not some process that reused the pid. */
export function isLauncher(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const cmdline = proc(pid, 'cmdline');
  // Without /proc there is no telling; a live process with the recorded pid is then taken as the launcher.
  return cmdline === undefined || cmdline.includes('tools/dev/src/main.ts');
}

/**
 * Asks a process to stop with `signal`, waits for it to be gone, and kills it after `graceMs`. Resolves
 * once it no longer runs; rejects when even SIGKILL does not end it (a process of another user).
 */
export async function stopProcess(pid: number, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  const send = (which: NodeJS.Signals) => {
    try {
      process.kill(pid, which);
    } catch {
      // already gone
    }
  };
  const gone = async (withinMs: number) => {
    const deadline = Date.now() + withinMs;
    while (isAlive(pid)) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return true;
  };
  send(signal);
  if (await gone(graceMs)) return;
  send('SIGKILL');
  if (!(await gone(5_000))) throw new Error(`process ${pid} does not stop, even when killed`);
}

/** Pids of the processes running inside `dir` (their working directory is it or below it); none without /proc. */
export function processesInside(dir: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      const cwd = proc(pid, 'cwd');
      return cwd !== undefined && (cwd === dir || cwd.startsWith(`${dir}/`)) && isAlive(pid);
    });
}
