import { readFileSync, readdirSync } from 'node:fs';
import { describe } from '@jest/globals';

export { devCredentials, launch, untilReady, type Launch } from '../../tools/dev/src/spawnLauncher';

/** Every process (but this one) whose command line or environment names this PARLEY_HOME. */
export function processesOfHome(home: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
        return cmdline.includes(home) || environ.split('\0').includes(`PARLEY_HOME=${home}`);
      } catch {
        return false;
      }
    })
    .filter((pid) => pid !== process.pid);
}

/**
 * `describe` for a suite that needs something outside the repository's npm packages, or `describe.skip`
 * with a one-line notice when it is missing outside CI. In CI (CI=true) a missing prerequisite fails the
 * run instead of hiding the suite, since `.ci/run` installs it.
 */
export function describeWhenAvailable(suite: string, unavailable: string | undefined) {
  if (unavailable && process.env.CI === 'true') throw new Error(`CI must run ${suite}, but: ${unavailable}`);
  if (unavailable) console.log(`skipping ${suite}: ${unavailable}`);
  return unavailable ? describe.skip : describe;
}
