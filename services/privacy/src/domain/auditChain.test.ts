import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  ChainVerifier,
  GENESIS_HASH,
  canonicalJson,
  entryHash,
  verifyChain,
  type AuditEntry,
  type AuditEntryInput,
} from './auditChain';

function buildChain(inputs: AuditEntryInput[], firstId = 1n): AuditEntry[] {
  const entries: AuditEntry[] = [];
  let prevHash = GENESIS_HASH;
  inputs.forEach((input, index) => {
    const hash = entryHash(prevHash, input);
    entries.push({ ...input, id: String(firstId + BigInt(index)), prevHash, hash });
    prevHash = hash;
  });
  return entries;
}

const inputs: AuditEntryInput[] = [
  {
    tenantId: 't_1',
    at: new Date('2024-06-15T10:00:00.000Z'),
    actor: 'account:alice',
    action: 'request.received',
    requestId: 'r_1',
    details: { type: 'access', jurisdiction: 'gdpr' },
  },
  {
    tenantId: 't_1',
    at: new Date('2024-06-15T10:05:00.000Z'),
    actor: 'system',
    action: 'request.identity_verified',
    requestId: 'r_1',
    details: { method: 'email', attempts: 1 },
  },
  {
    tenantId: 't_1',
    at: new Date('2024-06-16T08:00:00.000Z'),
    actor: 'service:messaging',
    action: 'participant.exported',
    requestId: 'r_1',
    details: { categories: ['messages', 'contacts'], records: { messages: 12, contacts: 3 } },
  },
  {
    tenantId: 't_1',
    at: new Date('2024-06-17T09:00:00.000Z'),
    actor: 'account:bob',
    action: 'settings.changed',
    details: { retentionDays: 30 },
  },
];

describe('GENESIS_HASH', () => {
  it('is 64 zero hex characters', () => {
    expect(GENESIS_HASH).toMatch(/^0{64}$/);
  });
});

describe('canonicalJson', () => {
  it('sorts keys recursively and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x y' } })).toBe(
      '{"a":{"c":"x y","d":[3,{"y":null,"z":true}]},"b":1}',
    );
  });

  it('is the same whatever order the keys were inserted in', () => {
    expect(canonicalJson({ x: 1, y: { p: 1, q: 2 } })).toBe(canonicalJson({ y: { q: 2, p: 1 }, x: 1 }));
  });

  it('writes Dates as ISO strings, so a Date and its JSON round trip agree', () => {
    const value = { at: new Date('2024-06-15T10:00:00Z'), nested: [new Date(0)] };
    expect(canonicalJson(value)).toBe(
      '{"at":"2024-06-15T10:00:00.000Z","nested":["1970-01-01T00:00:00.000Z"]}',
    );
    expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(canonicalJson(value));
  });

  it('drops undefined members, and writes undefined array items as null', () => {
    expect(canonicalJson({ a: undefined, b: 1, c: [undefined, 2] })).toBe('{"b":1,"c":[null,2]}');
    expect(canonicalJson({ a: undefined, b: 1 })).toBe(canonicalJson({ b: 1 }));
  });

  it('escapes strings as JSON does and keeps keys that need escaping', () => {
    expect(canonicalJson({ 'quote"key': 'line\nbreak', é: 'ü' })).toBe(
      '{"quote\\"key":"line\\nbreak","é":"ü"}',
    );
  });

  it.each([
    ['NaN', { n: Number.NaN }],
    ['Infinity', { n: Number.POSITIVE_INFINITY }],
    ['a bigint', { n: 1n }],
    ['a function', { f: () => 1 }],
    ['an invalid Date', { at: new Date('nope') }],
    ['undefined at the top', undefined],
  ])('refuses %s', (_name, value) => {
    expect(() => canonicalJson(value)).toThrow(
      expect.objectContaining({ reason: 'CANONICAL_JSON_UNSUPPORTED' }),
    );
  });

  it('refuses a cycle but accepts a shared, acyclic reference', () => {
    const shared = { k: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"k":1},"b":{"k":1}}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(
      expect.objectContaining({ reason: 'CANONICAL_JSON_UNSUPPORTED' }),
    );
  });
});

describe('entryHash', () => {
  it('is sha256 hex over the previous hash, a newline and the canonical content', () => {
    const input = inputs[3]!;
    const expected = createHash('sha256')
      .update(
        `${GENESIS_HASH}\n{"action":"settings.changed","actor":"account:bob","at":"2024-06-17T09:00:00.000Z",` +
          '"details":{"retentionDays":30},"requestId":null,"tenantId":"t_1"}',
      )
      .digest('hex');
    expect(entryHash(GENESIS_HASH, input)).toBe(expected);
  });

  it('depends on the previous hash', () => {
    expect(entryHash(GENESIS_HASH, inputs[0]!)).not.toBe(entryHash('f'.repeat(64), inputs[0]!));
  });

  it('treats a missing requestId like an undefined one, but unlike an empty string', () => {
    const { requestId: _requestId, ...withoutRequest } = inputs[0]!;
    expect(entryHash(GENESIS_HASH, withoutRequest)).toBe(
      entryHash(GENESIS_HASH, { ...withoutRequest, requestId: undefined }),
    );
    expect(entryHash(GENESIS_HASH, withoutRequest)).not.toBe(
      entryHash(GENESIS_HASH, { ...withoutRequest, requestId: '' }),
    );
  });
});

describe('verifyChain', () => {
  describe('valid', () => {
    it('accepts a chain built entry by entry', () => {
      expect(verifyChain(buildChain(inputs))).toEqual({ valid: true, entries: 4 });
    });

    it('accepts an empty log', () => {
      expect(verifyChain([])).toEqual({ valid: true, entries: 0 });
    });

    it('walks entries in numeric id order whatever order they are given in', () => {
      const chain = buildChain(inputs, 9n); // ids 9, 10, 11, 12: string order would put 10 first
      expect(verifyChain([chain[2]!, chain[0]!, chain[3]!, chain[1]!])).toEqual({ valid: true, entries: 4 });
    });

    it('accepts gaps in the id sequence', () => {
      const chain = buildChain(inputs).map((entry, index) => ({ ...entry, id: String(index * 10 + 1) }));
      expect(verifyChain(chain).valid).toBe(true);
    });

    it('accepts entries that went through a JSON round trip', () => {
      const stored = JSON.parse(JSON.stringify(buildChain(inputs))) as AuditEntry[];
      const restored = stored.map((entry) => ({ ...entry, at: new Date(entry.at) }));
      expect(verifyChain(restored).valid).toBe(true);
    });
  });

  describe('hash_mismatch', () => {
    const edits: [string, (entry: AuditEntry) => AuditEntry][] = [
      ['details', (entry) => ({ ...entry, details: { ...entry.details, method: 'sms' } })],
      ['a nested detail', (entry) => ({ ...entry, details: { ...entry.details, attempts: 2 } })],
      ['actor', (entry) => ({ ...entry, actor: 'account:mallory' })],
      ['at', (entry) => ({ ...entry, at: new Date(entry.at.getTime() + 1) })],
      ['action', (entry) => ({ ...entry, action: 'request.rejected' })],
      ['tenantId', (entry) => ({ ...entry, tenantId: 't_2' })],
      ['requestId', (entry) => ({ ...entry, requestId: 'r_2' })],
    ];

    it.each(edits)('points at the entry whose %s was edited', (_field, edit) => {
      const chain = buildChain(inputs);
      chain[1] = edit(chain[1]!);
      expect(verifyChain(chain)).toEqual({
        valid: false,
        entries: 4,
        firstBrokenEntry: '2',
        reason: 'hash_mismatch',
      });
    });

    it('points at the last entry when that one was edited', () => {
      const chain = buildChain(inputs);
      chain[3] = { ...chain[3]!, details: {} };
      expect(verifyChain(chain)).toMatchObject({
        valid: false,
        firstBrokenEntry: '4',
        reason: 'hash_mismatch',
      });
    });
  });

  describe('chain_broken', () => {
    it('points at the entry after a deleted one', () => {
      const chain = buildChain(inputs);
      chain.splice(1, 1);
      expect(verifyChain(chain)).toEqual({
        valid: false,
        entries: 3,
        firstBrokenEntry: '3',
        reason: 'chain_broken',
      });
    });

    it('points at the new first entry when the first was deleted', () => {
      const chain = buildChain(inputs).slice(1);
      expect(verifyChain(chain)).toMatchObject({
        valid: false,
        firstBrokenEntry: '2',
        reason: 'chain_broken',
      });
    });

    it('points at the entry after one that was edited and re-hashed', () => {
      const chain = buildChain(inputs);
      const forged = { ...chain[1]!, actor: 'account:mallory' };
      chain[1] = { ...forged, hash: entryHash(forged.prevHash, forged) };
      expect(verifyChain(chain)).toMatchObject({
        valid: false,
        firstBrokenEntry: '3',
        reason: 'chain_broken',
      });
    });

    it('points at the first of two swapped entries', () => {
      const chain = buildChain(inputs);
      const swapped = [chain[0]!, { ...chain[2]!, id: '2' }, { ...chain[1]!, id: '3' }, chain[3]!];
      expect(verifyChain(swapped)).toMatchObject({
        valid: false,
        firstBrokenEntry: '2',
        reason: 'chain_broken',
      });
    });
  });

  it('rejects ids that are not unsigned integers, and duplicate ids', () => {
    const chain = buildChain(inputs);
    expect(() => verifyChain([{ ...chain[0]!, id: 'abc' }])).toThrow(
      expect.objectContaining({ reason: 'AUDIT_ENTRY_ID_INVALID' }),
    );
    expect(() => verifyChain([chain[0]!, { ...chain[1]!, id: '1' }])).toThrow(
      expect.objectContaining({ reason: 'AUDIT_ENTRIES_OUT_OF_ORDER' }),
    );
  });
});

describe('ChainVerifier', () => {
  it('gives the same answer as verifyChain, one entry at a time', () => {
    const chain = buildChain(inputs);
    const intact = new ChainVerifier();
    chain.forEach((entry) => intact.add(entry));
    expect(intact.result()).toEqual({ valid: true, entries: 4 });

    const broken = new ChainVerifier();
    chain.forEach((entry, index) => broken.add(index === 2 ? { ...entry, actor: 'someone else' } : entry));
    expect(broken.result()).toEqual({
      valid: false,
      entries: 4,
      firstBrokenEntry: '3',
      reason: 'hash_mismatch',
    });
  });

  it('keeps reporting the first break when later entries are broken too', () => {
    const chain = buildChain(inputs);
    const verifier = new ChainVerifier();
    verifier.add(chain[0]!);
    verifier.add({ ...chain[1]!, details: {} });
    verifier.add({ ...chain[3]!, prevHash: GENESIS_HASH });
    expect(verifier.result()).toEqual({
      valid: false,
      entries: 3,
      firstBrokenEntry: '2',
      reason: 'hash_mismatch',
    });
  });

  it('refuses entries out of id order', () => {
    const chain = buildChain(inputs);
    const verifier = new ChainVerifier();
    verifier.add(chain[1]!);
    expect(() => verifier.add(chain[0]!)).toThrow(
      expect.objectContaining({ reason: 'AUDIT_ENTRIES_OUT_OF_ORDER' }),
    );
  });

  it('reports a result at any point, including before any entry', () => {
    const verifier = new ChainVerifier();
    expect(verifier.result()).toEqual({ valid: true, entries: 0 });
    verifier.add(buildChain(inputs)[0]!);
    expect(verifier.result()).toEqual({ valid: true, entries: 1 });
  });
});
