/**
 * Example values made from a JSON Schema (as the OpenAPI document holds it): a field's own `example` when it
 * has one, else the first of its enum, its const or default, else a value of its type and format that meets
 * its bounds. Every property of an object is filled in, optional ones too, so an example shows the whole shape.
 */
type Schema = Record<string, unknown>;

const byFormat: Record<string, string> = {
  'date-time': '2026-11-22T09:30:00.000Z',
  date: '2026-11-22',
  uuid: '3f2c8a4e-5b7d-4e1a-9c6f-0d8b2a7e4f13',
  email: 'ada@example.com',
  uri: 'https://example.com/',
};

export function exampleOf(schema: unknown, components: Record<string, unknown>, depth = 0): unknown {
  if (!schema || typeof schema !== 'object' || depth > 12) return undefined;
  const s = schema as Schema;
  if (typeof s.$ref === 'string') {
    return exampleOf(components[s.$ref.replace('#/components/schemas/', '')], components, depth + 1);
  }
  if (s.example !== undefined) return s.example;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if (s.default !== undefined) return s.default;
  for (const key of ['allOf'] as const) {
    if (Array.isArray(s[key])) {
      return Object.assign(
        {},
        ...(s[key] as unknown[]).map((part) => exampleOf(part, components, depth + 1) as object),
      );
    }
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(s[key])) {
      const options = s[key] as Schema[];
      const first = options.find((option) => option.type !== 'null') ?? options[0];
      return exampleOf(first, components, depth + 1);
    }
  }
  const type = Array.isArray(s.type) ? (s.type as string[]).find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const example: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(properties)) {
        const value = exampleOf(property, components, depth + 1);
        if (value !== undefined) example[name] = value;
      }
      if (Object.keys(properties).length === 0 && s.additionalProperties && s.additionalProperties !== true) {
        const value = exampleOf(s.additionalProperties, components, depth + 1);
        if (value !== undefined) example.name = value;
      }
      return example;
    }
    case 'array': {
      const item = exampleOf(s.items, components, depth + 1);
      return item === undefined ? [] : [item];
    }
    case 'string': {
      if (typeof s.format === 'string' && byFormat[s.format]) return byFormat[s.format];
      const min = typeof s.minLength === 'number' ? s.minLength : 0;
      const max = typeof s.maxLength === 'number' ? s.maxLength : 100;
      const text = 'example';
      return text.length >= min && text.length <= max ? text : 'x'.repeat(Math.max(min, 1));
    }
    case 'integer':
    case 'number': {
      const min = typeof s.minimum === 'number' ? s.minimum : undefined;
      const max = typeof s.maximum === 'number' ? s.maximum : undefined;
      return min ?? (max !== undefined ? Math.min(max, 1) : 1);
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return undefined;
  }
}
