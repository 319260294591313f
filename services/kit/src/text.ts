import type { FieldViolation } from './errors';

/**
 * Control characters no one types into a name, an address or a note: C0 controls other than tab, line
 * feed and carriage return, DEL and the C1 controls. NUL above all: PostgreSQL cannot store it in text
 * (`invalid byte sequence`), so it must be refused before it reaches a query.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const controlCharacter = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

export const CONTROL_CHARACTER_DESCRIPTION =
  'must not contain control characters (NUL, escape and the like; tab and line breaks are fine)';

export function hasControlCharacter(value: string): boolean {
  return controlCharacter.test(value);
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/**
 * One violation per string holding a control character, anywhere in a parsed JSON body or a decoded
 * protobuf message, named by its dotted path as the API spells it (`subject.email`, `scopes.1`); `root`
 * names a string that is the whole value. Bytes, dates and other non-plain objects are not text and are
 * left alone.
 */
export function controlCharacterViolations(value: unknown, root = '(body)'): FieldViolation[] {
  const found: FieldViolation[] = [];
  const visit = (node: unknown, path: string[]) => {
    if (typeof node === 'string') {
      if (hasControlCharacter(node))
        found.push({ field: path.join('.') || root, description: CONTROL_CHARACTER_DESCRIPTION });
    } else if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, [...path, String(index)]));
    } else if (node !== null && typeof node === 'object' && isPlainObject(node)) {
      for (const [key, item] of Object.entries(node)) {
        // A key is text too (a map's key is stored as such).
        if (hasControlCharacter(key))
          found.push({ field: [...path, key].join('.'), description: CONTROL_CHARACTER_DESCRIPTION });
        else visit(item, [...path, key]);
      }
    }
  };
  visit(value, []);
  return found;
}
