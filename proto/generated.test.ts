import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

describe('proto/gen', () => {
  it('matches what buf and ts-proto generate from proto/ now (run `npm run gen` when this fails)', () => {
    const output = execFileSync(
      process.execPath,
      [join(__dirname, '..', 'tools', 'gen', 'proto.mjs'), '--check'],
      {
        stdio: 'pipe',
      },
    ).toString();
    expect(output).toMatch(/proto\/gen is up to date \(\d+ files\)/);
  });
});
