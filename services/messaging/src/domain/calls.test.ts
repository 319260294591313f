import { describe, expect, it } from '@jest/globals';
import { anonymisedCall, callDetailRecordSchema, peerOf, recordingRefusal, tenantNumberOf } from './calls';

describe('recordingRefusal', () => {
  it('refuses every reference while the tenant does not allow recordings', () => {
    expect(
      recordingRefusal({ recordingsAllowed: false, recordingConsentRequired: false }, { consent: true }),
    ).toBe('recordings_not_allowed');
  });

  it('refuses a reference without consent only when the tenant requires consent', () => {
    expect(
      recordingRefusal({ recordingsAllowed: true, recordingConsentRequired: true }, { consent: false }),
    ).toBe('consent_missing');
    expect(
      recordingRefusal({ recordingsAllowed: true, recordingConsentRequired: true }, { consent: true }),
    ).toBe(undefined);
    expect(
      recordingRefusal({ recordingsAllowed: true, recordingConsentRequired: false }, { consent: false }),
    ).toBe(undefined);
  });
});

describe('callDetailRecordSchema', () => {
  const cdr = {
    callId: 'CA0123456789abcdef0123456789abcdef',
    direction: 'inbound',
    from: '+447700900001',
    to: '+14155550100',
    startedAt: '2026-12-01T12:00:00.000Z',
    endedAt: '2026-12-01T12:01:00.000Z',
    durationSeconds: 55,
    disposition: 'answered',
  };

  it('reads a record, its optional fields absent', () => {
    const parsed = callDetailRecordSchema.parse(cdr);
    expect(parsed).toMatchObject({ forwardedTo: null, recording: null, clientIp: null, answeredAt: null });
    expect(parsed.startedAt).toEqual(new Date('2026-12-01T12:00:00.000Z'));
    expect(tenantNumberOf(parsed)).toBe('+14155550100');
    expect(peerOf(parsed)).toBe('+447700900001');
  });

  it('names what is wrong', () => {
    const issues = (value: object) =>
      callDetailRecordSchema
        .safeParse({ ...cdr, ...value })
        .error?.issues.map((issue) => issue.path.join('.'));
    expect(issues({ endedAt: '2026-12-01T11:00:00.000Z' })).toEqual(['endedAt']);
    expect(issues({ clientIp: 'nowhere' })).toEqual(['clientIp']);
    expect(issues({ from: '0207' })).toEqual(['from']);
    expect(
      issues({
        recording: {
          id: 'RE1',
          kind: 'voicemail',
          url: 'ftp://x',
          durationSeconds: 1,
          channels: 1,
          consent: true,
        },
      }),
    ).toEqual(['recording.url']);
  });
});

describe('anonymisedCall', () => {
  const hash = (kind: string, value: string) => `hash(${kind}:${value})`;
  const tenantNumber = '+14155550100';
  const caller = '+447700900001';
  const target = '+447700900002';
  const inbound = {
    direction: 'inbound' as const,
    from: caller,
    to: tenantNumber,
    forwardedTo: target,
    callerIdPresented: caller,
    externalCallerId: caller,
    accountId: 'acct-1',
    clientIp: null,
  };

  it("replaces each field holding the subject's phone by its hash, and leaves the tenant's number and others", () => {
    expect(anonymisedCall(inbound, { phones: [caller], accountIds: [] }, hash)).toEqual({
      changes: {
        from: `hash(phone:${caller})`,
        callerIdPresented: `hash(phone:${caller})`,
        externalCallerId: `hash(phone:${caller})`,
      },
      fields: ['from', 'callerIdPresented', 'externalCallerId'],
    });
    expect(anonymisedCall(inbound, { phones: [target, tenantNumber], accountIds: [] }, hash)).toEqual({
      changes: { forwardedTo: `hash(phone:${target})` },
      fields: ['forwardedTo'],
    });
  });

  it("replaces the subject's account and the client IP of the call their account placed", () => {
    const outbound = {
      ...inbound,
      direction: 'outbound' as const,
      from: tenantNumber,
      to: caller,
      forwardedTo: null,
      callerIdPresented: tenantNumber,
      clientIp: '203.0.113.7',
    };
    expect(anonymisedCall(outbound, { phones: [tenantNumber], accountIds: ['acct-1'] }, hash)).toEqual({
      changes: { accountId: 'hash(account:acct-1)', clientIp: 'hash(ip:203.0.113.7)' },
      fields: ['accountId', 'clientIp'],
    });
    // Someone else's account: the client IP is not the subject's.
    expect(anonymisedCall(outbound, { phones: [caller], accountIds: ['acct-2'] }, hash).fields).toEqual([
      'to',
      'externalCallerId',
    ]);
  });

  it('changes nothing in a record that holds nothing of the subject', () => {
    expect(anonymisedCall(inbound, { phones: ['+447700900003'], accountIds: [] }, hash)).toEqual({
      changes: {},
      fields: [],
    });
  });
});
