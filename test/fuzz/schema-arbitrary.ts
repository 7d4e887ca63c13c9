/**
 * fast-check arbitraries from the JSON Schemas of an OpenAPI 3.1 document: values that (mostly)
 * satisfy a schema, and hostile variations of any JSON value. Only what the served document uses
 * is covered; anything else falls back to an arbitrary JSON value.
 */
import fc from 'fast-check';

export type Schema = Record<string, unknown> & { $ref?: string };
type Doc = { components?: { schemas?: Record<string, Schema> } };

/** Generated collections stay small: the point is shape, not volume. */
const MAX_ITEMS = 3;
const MAX_STRING = 24;

export function arbitraryFor(doc: Doc, schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 8) return fc.jsonValue({ maxDepth: 2 });
  if (schema.$ref) return arbitraryFor(doc, resolve(doc, schema.$ref), depth + 1);
  const variants = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (variants?.length) return fc.oneof(...variants.map((s) => arbitraryFor(doc, s, depth + 1)));
  if (Array.isArray(schema.allOf) && schema.allOf.length) return arbitraryFor(doc, schema.allOf[0] as Schema, depth + 1);
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : schema.type ? [schema.type as string] : [];
  if (types.length > 1) return fc.oneof(...types.map((type) => arbitraryFor(doc, { ...schema, type }, depth)));
  switch (types[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: bound(schema, 'minimum', -1_000_000), max: bound(schema, 'maximum', 1_000_000) });
    case 'number':
      return fc.double({ min: bound(schema, 'minimum', -1e6), max: bound(schema, 'maximum', 1e6), noNaN: true, noDefaultInfinity: true });
    case 'string':
      return stringFor(schema);
    case 'array': {
      const min = (schema.minItems as number | undefined) ?? 0;
      return fc.array(arbitraryFor(doc, schema.items as Schema | undefined, depth + 1), {
        minLength: min,
        maxLength: Math.max(min, Math.min((schema.maxItems as number | undefined) ?? MAX_ITEMS, MAX_ITEMS)),
      });
    }
    case 'object':
      return objectFor(doc, schema, depth);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

export function resolve(doc: Doc, ref: string): Schema {
  const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1];
  const schema = name ? doc.components?.schemas?.[decodeURIComponent(name)] : undefined;
  if (!schema) throw new Error(`unresolvable $ref ${ref}`);
  return schema;
}

const bound = (schema: Schema, key: 'minimum' | 'maximum', fallback: number) => {
  const value = schema[key] as number | undefined;
  const exclusive = schema[key === 'minimum' ? 'exclusiveMinimum' : 'exclusiveMaximum'] as number | undefined;
  if (typeof exclusive === 'number') return key === 'minimum' ? exclusive + 1 : exclusive - 1;
  return typeof value === 'number' ? value : fallback;
};

function stringFor(schema: Schema): fc.Arbitrary<string> {
  if (schema.format === 'date-time') {
    return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
  }
  const minLength = (schema.minLength as number | undefined) ?? 0;
  const maxLength = Math.max(minLength, Math.min((schema.maxLength as number | undefined) ?? MAX_STRING, MAX_STRING));
  if (typeof schema.pattern === 'string') {
    try {
      const pattern = new RegExp(schema.pattern);
      return fc.stringMatching(pattern).filter((s) => s.length >= minLength && s.length <= ((schema.maxLength as number) ?? Infinity));
    } catch {
      // A pattern fast-check cannot generate from: plain strings, mostly refused.
    }
  }
  return fc.string({ minLength, maxLength });
}

function objectFor(doc: Doc, schema: Schema, depth: number): fc.Arbitrary<unknown> {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const names = Object.keys(properties);
  const record = fc.record(Object.fromEntries(names.map((name) => [name, arbitraryFor(doc, properties[name], depth + 1)])), {
    requiredKeys: names.filter((name) => required.has(name)),
  });
  const extra = schema.additionalProperties;
  if (names.length === 0 && extra && typeof extra === 'object') {
    const keys = (schema.propertyNames as Schema | undefined) ?? { type: 'string', minLength: 1, maxLength: 12 };
    return fc.dictionary(stringFor(keys), arbitraryFor(doc, extra as Schema, depth + 1), { maxKeys: MAX_ITEMS });
  }
  return record;
}

/**
 * Hostile values, each standing for a defect class of the API: text Postgres refuses, numbers
 * beyond the columns, types the schema does not allow, nesting beyond the bound. `RAW` entries
 * are spliced into the serialized body as they are (JSON.stringify cannot write them).
 */
export const RAW = {
  deep65: `${'['.repeat(65)}${']'.repeat(65)}`,
  deep5000: `${'['.repeat(5000)}${']'.repeat(5000)}`,
  deepObjects: `${'{"a":'.repeat(300)}1${'}'.repeat(300)}`,
  hugeInt: '99999999999999999999999',
  overflowDouble: '1e400',
  negativeZero: '-0',
} as const;
const rawMarker = (name: keyof typeof RAW) => `__raw_${name}__`;

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udc00y',
    '\ud83d',
    '',
    ' ',
    'x'.repeat(5000),
    '💥'.repeat(100),
    2147483647,
    2147483648,
    -2147483649,
    2 ** 53,
    -(2 ** 53),
    1.5,
    1e308,
    -1,
    0,
    true,
    false,
    null,
    [],
    {},
    { '\u0000': 1 },
    { '\ud800': 'x' },
    JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{}}}'),
    '0x10',
    '1e2',
    '+5',
    '1970-01-01T00:00:00Z',
    '+099999-01-01T00:00:00Z',
    '0000-01-01T00:00:00Z',
    8.64e15,
  ),
  fc.constantFrom(...(Object.keys(RAW) as (keyof typeof RAW)[])).map(rawMarker),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);

/** Every path into a JSON value (the root is []). */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = [], depth = 0): (string | number)[][] {
  out.push(prefix);
  if (depth > 12) return out;
  if (Array.isArray(value)) for (const [i, v] of value.entries()) paths(v, [...prefix, i], out, depth + 1);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out, depth + 1);
  return out;
}

function setAt(root: unknown, path: (string | number)[], make: (old: unknown) => unknown): unknown {
  if (path.length === 0) return make(root);
  const copy: any = Array.isArray(root) ? [...root] : { ...(root as object) };
  const [head, ...rest] = path;
  copy[head as never] = setAt(copy[head as never], rest, make);
  return copy;
}

export type Mutation = { kind: 'replace' | 'unknown-field' | 'bad-key'; seed: number; value: unknown };

/** A variation of `value`: one place replaced by a hostile value, or given an unknown or bad key. */
export const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<Mutation['kind']>('replace', 'replace', 'replace', 'unknown-field', 'bad-key'),
  seed: fc.nat(),
  value: hostileValue,
});

export function applyMutation(value: unknown, m: Mutation): unknown {
  const all = paths(value);
  const target = all[m.seed % all.length]!;
  switch (m.kind) {
    case 'replace':
      return setAt(value, target, () => m.value);
    case 'unknown-field':
    case 'bad-key': {
      const objects = all.filter((p) => {
        const v = p.reduce<any>((acc, k) => acc?.[k], value);
        return v !== null && typeof v === 'object' && !Array.isArray(v);
      });
      if (!objects.length) return setAt(value, target, () => m.value);
      const key = m.kind === 'bad-key' ? (m.seed % 2 ? 'k\u0000' : 'k\ud800') : `unknownField${m.seed % 7}`;
      return setAt(value, objects[m.seed % objects.length]!, (old) => ({ ...(old as object), [key]: m.value }));
    }
  }
}

/** JSON text of a (possibly mutated) value, with RAW markers spliced in. */
export function serialize(value: unknown): string {
  let text = JSON.stringify(value) ?? 'null';
  for (const [name, raw] of Object.entries(RAW)) text = text.split(JSON.stringify(rawMarker(name as keyof typeof RAW))).join(raw);
  return text;
}
