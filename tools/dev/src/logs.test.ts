import { describe, expect, it } from '@jest/globals';
import { createPrinter } from './logs';

describe('createPrinter', () => {
  it('prefixes lines with the source and makes pino JSON readable', () => {
    const out: string[] = [];
    const printer = createPrinter({ colour: false, write: (text) => out.push(text) });
    printer.line(
      'identity',
      JSON.stringify({
        level: 'info',
        time: 't',
        service: 'identity',
        msg: 'tenant created',
        tenant: 'acme',
      }),
      'stdout',
    );
    printer.line('identity', 'plain text', 'stderr');
    expect(out).toEqual(['identity  | INFO  tenant created tenant=acme\n', 'identity  | plain text\n']);
  });

  it('makes a crash impossible to miss', () => {
    const out: string[] = [];
    createPrinter({ colour: false, write: (text) => out.push(text) }).banner('billing crashed (exit code 1)');
    expect(out.join('')).toContain('!!! billing crashed (exit code 1) !!!');
  });
});
