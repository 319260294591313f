import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from '@jest/globals';
import { isAlive as alive } from '../../dev/src/processes';

describe('a spawned simulator', () => {
  it('stops by itself when the process that started it is SIGKILLed', async () => {
    const root = resolve(__dirname, '..');
    const parent = spawn(
      process.execPath,
      ['--conditions=parley-source', '--import', 'tsx', join(root, 'test', 'spawnParent.ts')],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const simPid = await new Promise<number>((done, fail) => {
      parent.once('exit', (code) =>
        fail(new Error(`the parent exited (${code}) before the simulator listened`)),
      );
      createInterface({ input: parent.stdout! }).once('line', (line) => {
        done((JSON.parse(line) as { simPid: number }).simPid);
      });
    });
    try {
      expect(alive(simPid)).toBe(true);
      parent.kill('SIGKILL');
      const deadline = Date.now() + 10_000;
      while (alive(simPid) && Date.now() < deadline) await new Promise((wait) => setTimeout(wait, 100));
      expect(alive(simPid)).toBe(false);
    } finally {
      if (alive(simPid)) process.kill(simPid, 'SIGKILL');
    }
  }, 40_000);
});
