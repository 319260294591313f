import { describe, expect, it } from '@jest/globals';
import { Metadata, status } from '@grpc/grpc-js';
import { invalidArgument } from '@parley/kit';
import { HttpProblem, toProblem } from './problem';

function serviceError(code: status, reason: string, details: string) {
  const metadata = new Metadata();
  metadata.set('parley-reason', reason);
  return Object.assign(new Error(details), { code, details, metadata });
}

describe('toProblem', () => {
  it('maps service status codes to HTTP and keeps the stable reason', () => {
    expect(
      toProblem(serviceError(status.NOT_FOUND, 'TENANT_NOT_FOUND', 'tenant x does not exist'), '/v1/tenant')
        .problem,
    ).toEqual({
      type: 'urn:parley:problem:tenant-not-found',
      title: 'Not Found',
      status: 404,
      detail: 'tenant x does not exist',
      code: 'TENANT_NOT_FOUND',
      instance: '/v1/tenant',
    });
    expect(toProblem(serviceError(status.ALREADY_EXISTS, 'TENANT_EXISTS', 'x'), '/').problem.status).toBe(
      409,
    );
    expect(toProblem(serviceError(status.PERMISSION_DENIED, 'NOPE', 'x'), '/').problem.status).toBe(403);
  });

  it("keeps a service's own unavailable code and tells the client when to retry", () => {
    const error = serviceError(
      status.UNAVAILABLE,
      'SUPPLIER_UNAVAILABLE',
      'the number supplier is unavailable',
    );
    error.metadata.set('parley-retry-after', '30');
    const { problem, headers } = toProblem(error, '/v1/available-numbers');
    expect(problem).toMatchObject({ status: 503, code: 'SUPPLIER_UNAVAILABLE' });
    expect(headers).toEqual({ 'Retry-After': '30' });
  });

  it('turns an unreachable or slow service into 503/504 without internals', () => {
    expect(
      toProblem(serviceError(status.UNAVAILABLE, 'UNAVAILABLE', 'connect ECONNREFUSED 10.0.0.7:50051'), '/')
        .problem,
    ).toMatchObject({
      status: 503,
      code: 'UPSTREAM_UNAVAILABLE',
      detail: 'a backing service did not answer in time; retry later',
    });
    expect(toProblem(serviceError(status.DEADLINE_EXCEEDED, 'X', 'x'), '/').problem.status).toBe(504);
  });

  it('never leaks an unexpected error', () => {
    const { problem } = toProblem(new Error('relation "secret_table" does not exist'), '/v1/x');
    expect(problem).toMatchObject({ status: 500, code: 'INTERNAL', detail: 'internal error' });
    expect(JSON.stringify(problem)).not.toContain('secret_table');
    expect(toProblem(serviceError(status.INTERNAL, 'INTERNAL', 'stack trace'), '/').problem.detail).toBe(
      'internal error',
    );
  });

  it('carries field errors and extra headers', () => {
    const fromApp = toProblem(
      invalidArgument('BAD', 'bad', [{ field: 'email', description: 'not an email' }]),
      '/',
    );
    expect(fromApp.problem).toMatchObject({
      status: 400,
      code: 'BAD',
      errors: [{ field: 'email', description: 'not an email' }],
    });
    const withHeader = toProblem(
      new HttpProblem(401, 'AUTH', 'log in', [], { 'WWW-Authenticate': 'Bearer' }),
      '/',
    );
    expect(withHeader.headers).toEqual({ 'WWW-Authenticate': 'Bearer' });
    expect(withHeader.problem).not.toHaveProperty('errors');
  });
});
