import { describe, expect, it } from '@jest/globals';
import { isDatabaseUnreachable, whileDatabaseUnreachable } from './reachability';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('isDatabaseUnreachable', () => {
  it.each([
    withCode('ECONNREFUSED'),
    withCode('ECONNRESET'),
    withCode('08006'),
    withCode('08001'),
    withCode('57P01', 'terminating connection due to administrator command'),
    withCode('57P03', 'the database system is starting up'),
    new Error('Connection terminated unexpectedly'),
  ])('takes %s as the server being away', (error) => {
    expect(isDatabaseUnreachable(error)).toBe(true);
  });

  it.each([
    withCode('23505', 'duplicate key value violates unique constraint'),
    withCode('40P01', 'deadlock detected'),
    withCode('42P01', 'relation does not exist'),
    new Error('something else'),
    undefined,
  ])('does not take %s for it', (error) => {
    expect(isDatabaseUnreachable(error)).toBe(false);
  });
});

describe('whileDatabaseUnreachable', () => {
  it('runs the work again until the server answers', async () => {
    let calls = 0;
    const result = await whileDatabaseUnreachable(async () => {
      calls += 1;
      if (calls < 3) throw withCode('ECONNREFUSED');
      return 'committed';
    }, Date.now() + 10_000);
    expect({ result, calls }).toEqual({ result: 'committed', calls: 3 });
  });

  it('throws any other error at once', async () => {
    let calls = 0;
    const failing = whileDatabaseUnreachable(async () => {
      calls += 1;
      throw withCode('23505');
    }, Date.now() + 10_000);
    await expect(failing).rejects.toMatchObject({ code: '23505' });
    expect(calls).toBe(1);
  });

  it('gives up with the last error at the deadline', async () => {
    let calls = 0;
    const failing = whileDatabaseUnreachable(async () => {
      calls += 1;
      throw withCode('ECONNREFUSED');
    }, Date.now() + 250);
    await expect(failing).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(calls).toBeGreaterThan(1);
  });
});
