import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createLogger, scrubText } from './logging';
import { runWithContext } from './context';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: createLogger({ service: 'numbering', version: '1.2.3', level: 'info', destination }) };
}

describe('createLogger', () => {
  it('writes JSON with service, version and the tenant of the current work', () => {
    const { lines, log } = capture();
    runWithContext({ tenantId: 'acme' }, () => log.info('assigned'));
    expect(lines[0]).toMatchObject({
      service: 'numbering',
      version: '1.2.3',
      tenant_id: 'acme',
      msg: 'assigned',
      level: 'info',
    });
  });

  it('carries the id of the request being served, so a partner-quoted X-Request-Id finds its lines', () => {
    const { lines, log } = capture();
    runWithContext({ tenantId: 'acme', requestId: 'partner.order-7:try_1' }, () => log.info('assigned'));
    log.info('between requests');
    expect(lines[0]).toMatchObject({ request_id: 'partner.order-7:try_1' });
    expect(lines[1]).not.toHaveProperty('request_id');
  });

  it('redacts personal data and secrets wherever a careless caller puts them', () => {
    const { lines, log } = capture();
    log.info(
      {
        email: 'jane@example.com',
        account: { phone: '+447700900123', fullName: 'Jane Roe' },
        apiKey: 'prl_x',
        count: 3,
      },
      'profile saved',
    );
    expect(lines[0]).toMatchObject({
      email: '[redacted]',
      account: { phone: '[redacted]', fullName: '[redacted]' },
      apiKey: '[redacted]',
      count: 3,
    });
    expect(JSON.stringify(lines[0])).not.toMatch(/jane|7700900123|Roe|prl_x/i);
  });

  it('masks numbers, emails and card-like digits inside messages', () => {
    const { lines, log } = capture();
    log.warn('sms to +447700900123 from bob@example.org paid with 4111 1111 1111 1111');
    expect(lines[0]?.msg).toBe('sms to [phone] from [email] paid with [card?]');
  });
});

describe('scrubText', () => {
  it('leaves ordinary text alone', () => {
    expect(scrubText('tenant acme created 3 numbers')).toBe('tenant acme created 3 numbers');
  });
});

describe('error serialization', () => {
  it('drops the statement parameters a database error carries', () => {
    const { lines, log } = capture();
    const failure = Object.assign(
      new Error('Failed query: select * from accounts where email = $1\nparams: jane@example.com'),
      {
        params: ['jane@example.com'],
        cause: Object.assign(new Error('duplicate key'), { code: '23505' }),
      },
    );
    log.warn({ err: failure }, 'insert failed');
    const text = JSON.stringify(lines[0]);
    expect(text).not.toContain('jane@example.com');
    expect(lines[0]).toMatchObject({
      err: { message: 'Failed query: select * from accounts where email = $1', cause: { code: '23505' } },
    });
  });
});
