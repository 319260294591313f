import { expect } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { expectStatus } from './grpc';

export interface ListProbe {
  /** Creates one row for the tenant, `index` seconds after a fixed base time; returns its id. */
  insert(tenantId: string, index: number): Promise<string>;
  /** Calls the list RPC as the tenant. */
  list(
    tenantId: string,
    pageSize: number,
    pageToken: string,
  ): Promise<{ ids: string[]; nextPageToken: string }>;
}

/**
 * The contract every list RPC keeps: newest first, pages that neither skip nor repeat, only the caller's
 * tenant, and clear INVALID_ARGUMENTs for a bad page size or token.
 */
export async function expectTenantScopedPaging(
  probe: ListProbe,
  tenants: [string, string] = ['list-a', 'list-b'],
): Promise<void> {
  const [a, b] = tenants;
  const ofA: string[] = [];
  for (let index = 0; index < 5; index += 1) ofA.push(await probe.insert(a, index));
  const ofB = [await probe.insert(b, 0), await probe.insert(b, 1)];

  const seen: string[] = [];
  const pageSizes: number[] = [];
  let token = '';
  do {
    const page = await probe.list(a, 2, token);
    seen.push(...page.ids);
    pageSizes.push(page.ids.length);
    token = page.nextPageToken;
  } while (token !== '');
  expect(pageSizes).toEqual([2, 2, 1]);
  expect(seen).toEqual([...ofA].reverse());

  const pageOfB = await probe.list(b, 0, '');
  expect(pageOfB.ids).toEqual([...ofB].reverse());
  expect(pageOfB.nextPageToken).toBe('');

  await expectStatus(probe.list(a, 101, ''), status.INVALID_ARGUMENT, 'PAGE_SIZE_INVALID');
  await expectStatus(probe.list(a, 2, 'garbage'), status.INVALID_ARGUMENT, 'PAGE_TOKEN_INVALID');
}

export const BASE_TIME = new Date('2026-01-01T00:00:00.000Z');
export const at = (index: number) => new Date(BASE_TIME.getTime() + index * 1000);
