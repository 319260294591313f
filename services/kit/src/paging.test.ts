import { describe, expect, it } from '@jest/globals';
import { AppError } from './errors';
import { decodePageToken, encodePageToken, pageSize, toPage } from './paging';

describe('pageSize', () => {
  it('defaults 0 to 50 and refuses sizes outside 1..100', () => {
    expect(pageSize(0)).toBe(50);
    expect(pageSize(100)).toBe(100);
    expect(() => pageSize(101)).toThrow(AppError);
    expect(() => pageSize(-1)).toThrow(/between 1 and 100/);
  });
});

describe('page tokens', () => {
  it('round-trip a cursor and refuse anything else', () => {
    const cursor = { at: new Date('2026-03-01T10:00:00Z'), id: '7b1c' };
    expect(decodePageToken(encodePageToken(cursor))).toEqual(cursor);
    expect(decodePageToken('')).toBeUndefined();
    expect(() => decodePageToken('not-a-token')).toThrow(/not one this API issued/);
    expect(() => decodePageToken(Buffer.from('{"at":"never","id":"x"}').toString('base64url'))).toThrow(
      AppError,
    );
  });
});

describe('toPage', () => {
  const rows = [1, 2, 3].map((n) => ({ id: String(n), at: new Date(3_000 - n) }));

  it('keeps `size` rows and points the next token after the last kept row', () => {
    const page = toPage(rows, 2, (row) => row);
    expect(page.items.map((row) => row.id)).toEqual(['1', '2']);
    expect(decodePageToken(page.nextPageToken)).toEqual({ at: rows[1]!.at, id: '2' });
  });

  it('gives an empty token on the last page', () => {
    expect(toPage(rows, 3, (row) => row).nextPageToken).toBe('');
  });
});
