/**
 * Generated requests: a seeded plan per request (which parameters are genuine or hostile, which
 * credentials, headers and body), built against the current fixtures when it is sent, with what
 * the API must refuse whatever else the request holds.
 */
import fc from 'fast-check';
import type { Doc, Op, Parameter } from './document';
import { EXAMPLES, counter, type Fixtures, fixtureParam } from './fixtures';
import { RAW, type Mutation, applyMutation, arbitraryFor, mutation, serialize } from './schema-arbitrary';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// Percent-encoded as sent on the wire. Dot segments are left out: URL normalisation turns them
// into another route, which is not the operation under test.
const HOSTILE_PATH_PARAMS = [
  '%00',
  'a%00b',
  '%ED%A0%80', // a UTF-16 surrogate, CESU-encoded: not UTF-8
  '%FF',
  '%C0%AF',
  '%F0%9F%92%A5',
  '2147483648',
  '99999999999999999999',
  '-1',
  '0',
  'x'.repeat(101),
  'x'.repeat(300),
  '%20',
  'a%2Fb',
  '%25',
  'pl_00000000000000000000000000',
  "'%3B--",
];
const HOSTILE_QUERY_VALUES = ['0x10', '1e2', '%2B5', '%205', '-1', '0', '201', '2147483648', '', '%00', 'abc', 'x'.repeat(2000), '%FF', '1.5', '%E2%80%8B5'];
const ODD_CONTENT_TYPES = [
  'application/json; charset=utf-8',
  'application/merge-patch+json',
  'application/json;',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  undefined,
];
const RAW_BODIES: Buffer[] = [
  '',
  '{',
  'null',
  '[]',
  '"x"',
  '42',
  '{"a":1}{',
  RAW.deep5000,
  RAW.deep65,
  `{"input":${RAW.deep5000}}`,
  '\ufeff{}',
  '{"version":2147483648}',
  '{"version":99999999999999999999}',
  '{"result":"\\u0000"}',
  '{"input":"\\ud800"}',
  '{"definition":{"stages":[{"id":"a","config":{"k":"\\u0000"}}]}}',
  '{"expiresAt":"+099999-01-01T00:00:00Z"}',
  '{"expiresAt":8.64e15}',
]
  .map((text) => Buffer.from(text, 'utf8'))
  .concat([Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), Buffer.from('{"a":"\xe9"}', 'latin1')]);

type BodyPlan =
  | { mode: 'none' }
  | { mode: 'example'; index: number; mutations: Mutation[] }
  | { mode: 'generated'; value: unknown; mutations: Mutation[] }
  | { mode: 'raw'; index: number };

interface RequestPlan {
  params: Record<string, { fixture: true } | { fixture: false; raw: string }>;
  query: { name: string; value: string }[];
  auth: 'valid' | 'missing' | 'basic' | 'unknown' | 'wrong-kind' | 'long' | 'latin1';
  ifMatch?: string;
  idempotencyKey?: string;
  contentType?: string;
  contentEncoding?: string;
  body: BodyPlan;
}

/** `arbitrary` in `weight` of `weight + otherwise` cases, null in the others. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>, weight: number, otherwise: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight, arbitrary }, { weight: otherwise, arbitrary: fc.constant(null) });

export function planArbitrary(doc: Doc, op: Op): fc.Arbitrary<RequestPlan> {
  const parameters = op.spec.parameters ?? [];
  const pathParams = parameters.filter((p) => p.in === 'path');
  const queryParams = parameters.filter((p) => p.in === 'query');
  const headerNames = new Set(parameters.filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()));
  const param = fc.oneof(
    { weight: 8, arbitrary: fc.constant({ fixture: true as const }) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_PATH_PARAMS).map((raw) => ({ fixture: false as const, raw })) },
    {
      weight: 1,
      arbitrary: fc
        .string({ minLength: 1, maxLength: 30 })
        .filter((s) => !LONE_SURROGATE.test(s) && s !== '.' && s !== '..')
        .map((s) => ({ fixture: false as const, raw: encodeURIComponent(s) })),
    },
  );
  const queryEntry = (p: Parameter) =>
    fc.oneof(
      { weight: 6, arbitrary: arbitraryFor(doc, p.schema).map((v) => ({ name: p.name, value: encodeURIComponent(String(v)) })) },
      { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_QUERY_VALUES).map((value) => ({ name: p.name, value })) },
      {
        weight: p.name === 'cursor' ? 4 : 0,
        arbitrary: fc.constantFrom('genuine', 'tampered', 'forged').map((value) => ({ name: p.name, value: `@cursor:${value}` })),
      },
    );
  const query = fc
    .tuple(
      fc.tuple(...queryParams.map((p) => sometimes(queryEntry(p), 1, 1))),
      sometimes(fc.constantFrom({ name: 'foo', value: '1' }, { name: 'limit', value: '1' }, { name: '%00', value: '1' }, { name: 'LIMIT', value: '5' }), 1, 6),
    )
    .map(([known, extra]) => [...known.filter((e): e is { name: string; value: string } => e !== null), ...(extra ? [extra] : [])]);

  const hasBody = Boolean(op.spec.requestBody);
  const examples = EXAMPLES[op.id] ?? [];
  const bodySchema = op.spec.requestBody?.content?.['application/json']?.schema;
  const mutations = fc.array(mutation, { minLength: 1, maxLength: 2 });
  const body: fc.Arbitrary<BodyPlan> = hasBody
    ? fc.oneof(
        { weight: 2, arbitrary: fc.constant({ mode: 'none' as const }) },
        {
          weight: examples.length ? 8 : 0,
          arbitrary: fc.nat({ max: Math.max(0, examples.length - 1) }).map((index) => ({ mode: 'example' as const, index, mutations: [] })),
        },
        {
          weight: examples.length ? 8 : 0,
          arbitrary: fc
            .tuple(fc.nat({ max: Math.max(0, examples.length - 1) }), mutations)
            .map(([index, m]) => ({ mode: 'example' as const, index, mutations: m })),
        },
        { weight: 3, arbitrary: arbitraryFor(doc, bodySchema).map((value) => ({ mode: 'generated' as const, value, mutations: [] })) },
        { weight: 2, arbitrary: fc.tuple(arbitraryFor(doc, bodySchema), mutations).map(([value, m]) => ({ mode: 'generated' as const, value, mutations: m })) },
        { weight: 3, arbitrary: fc.nat({ max: RAW_BODIES.length - 1 }).map((index) => ({ mode: 'raw' as const, index })) },
      )
    : fc.oneof(
        { weight: 19, arbitrary: fc.constant({ mode: 'none' as const }) },
        { weight: 1, arbitrary: fc.nat({ max: RAW_BODIES.length - 1 }).map((index) => ({ mode: 'raw' as const, index })) },
      );

  return fc
    .record({
      params: fc.record(Object.fromEntries(pathParams.map((p) => [p.name, param]))),
      query,
      auth: fc.oneof(
        { weight: 30, arbitrary: fc.constant('valid' as const) },
        {
          weight: 1,
          arbitrary: fc.constantFrom('missing' as const, 'basic' as const, 'unknown' as const, 'wrong-kind' as const, 'long' as const, 'latin1' as const),
        },
      ),
      ifMatch: headerNames.has('if-match')
        ? sometimes(fc.constantFrom('"1"', '"2"', '*', '"2147483648"', '"99999999999999999999"', 'W/"1"', 'garbage', '"0"', '"1", "2"', '"\xe9"'), 1, 1)
        : fc.constant(null),
      idempotencyKey: headerNames.has('idempotency-key')
        ? sometimes(
            fc.oneof(
              fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 12 }),
              fc.constantFrom('x'.repeat(256), '', '\xe9t\xe9', 'same-key'),
            ),
            1,
            3,
          )
        : fc.constant(null),
      contentType: hasBody
        ? fc.oneof({ weight: 12, arbitrary: fc.constant('application/json') }, { weight: 3, arbitrary: fc.constantFrom(...ODD_CONTENT_TYPES) })
        : fc.constant(undefined),
      contentEncoding: sometimes(fc.constantFrom('gzip', 'identity'), 1, 40),
      body,
    })
    .map((plan) => ({
      ...plan,
      ifMatch: plan.ifMatch ?? undefined,
      idempotencyKey: plan.idempotencyKey ?? undefined,
      contentEncoding: plan.contentEncoding ?? undefined,
    }));
}

function cursorValue(kind: string, f: Fixtures): string {
  const genuine = f.cursors[counter % Math.max(1, f.cursors.length)];
  if (kind === 'genuine' && genuine) return encodeURIComponent(genuine);
  if (kind === 'tampered' && genuine) return encodeURIComponent(`${genuine.slice(0, -2)}AA`);
  const payload = Buffer.from(JSON.stringify(['runs', '+275760-09-13T00:00:00.000Z', 'run_x'])).toString('base64url');
  return encodeURIComponent(`${payload}.AAAAAAAAAAAAAAAAAAAAAA`);
}

export function buildRequest(op: Op, plan: RequestPlan, f: Fixtures, adminToken: string) {
  const path = op.template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const p = plan.params[name];
    return !p || p.fixture ? encodeURIComponent(fixtureParam(op.template, name, f, op.id)) : p.raw;
  });
  const query = plan.query.map(({ name, value }) => `${name}=${value.startsWith('@cursor:') ? cursorValue(value.slice(8), f) : value}`).join('&');
  const headers: Record<string, string> = {};
  const own = op.access === 'admin' ? adminToken : f.key;
  const other = op.access === 'admin' ? f.key : adminToken;
  const auth = {
    valid: `Bearer ${own}`,
    missing: undefined,
    basic: 'Basic dXNlcjpwYXNz',
    unknown: 'Bearer ps_unknownunknownunknownunknownunknown',
    'wrong-kind': `Bearer ${other}`,
    long: `Bearer ${'x'.repeat(600)}`,
    latin1: 'Bearer \xff\xfe\xe9',
  }[plan.auth];
  if (auth !== undefined) headers.authorization = auth;
  if (plan.ifMatch !== undefined) headers['if-match'] = plan.ifMatch;
  if (plan.idempotencyKey !== undefined) headers['idempotency-key'] = plan.idempotencyKey;
  if (plan.contentEncoding !== undefined) headers['content-encoding'] = plan.contentEncoding;

  let body: Buffer | undefined;
  const b = plan.body;
  if (b.mode === 'raw') body = RAW_BODIES[b.index]!;
  else if (b.mode === 'example' || b.mode === 'generated') {
    const examples = EXAMPLES[op.id] ?? [];
    let value = b.mode === 'example' ? examples[b.index]!(f) : b.value;
    for (const m of b.mutations) value = applyMutation(value, m);
    body = Buffer.from(serialize(value), 'utf8');
  }
  if (body !== undefined && plan.contentType !== undefined) headers['content-type'] = plan.contentType;
  else if (body !== undefined && !op.spec.requestBody) headers['content-type'] = 'application/json';
  return { method: op.method.toUpperCase(), path: query ? `${path}?${query}` : path, headers, body, mustFail: mustFail(op, plan, body) };
}

/** Why this request must not succeed, whatever else it holds; undefined when it may. */
function mustFail(op: Op, plan: RequestPlan, body: Buffer | undefined): string | undefined {
  const parameters = op.spec.parameters ?? [];
  for (const { name, value } of plan.query) {
    const declared = parameters.find((p) => p.in === 'query' && p.name === name);
    if (!declared) return `unknown query parameter ${name}`;
    if (value.includes('%00')) return `NUL in query parameter ${name}`;
    if (declared.schema?.type === 'integer' && !/^[0-9]+$/.test(value)) return `non-decimal integer ${name}=${value}`;
  }
  for (const [name, p] of Object.entries(plan.params)) if (!p.fixture && p.raw.includes('%00')) return `NUL in path parameter ${name}`;
  if (body === undefined || !op.spec.requestBody) return undefined;
  if (body.byteLength === 0) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return 'a body that is not UTF-8';
  }
  if (text.trim() === '') return undefined;
  const depth = maxDepth(text);
  if (depth > 64) return `a body nested ${depth} levels deep`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'a body that is not JSON';
  }
  return unstorable(value);
}

function maxDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') max = Math.max(max, ++depth);
    else if (ch === ']' || ch === '}') depth--;
  }
  return max;
}

const badText = (s: string) => s.includes('\0') || LONE_SURROGATE.test(s);

function unstorable(value: unknown): string | undefined {
  if (typeof value === 'string') return badText(value) ? 'NUL or a lone surrogate in the body' : undefined;
  if (Array.isArray(value)) return value.map(unstorable).find(Boolean);
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (badText(key)) return 'NUL or a lone surrogate in a key of the body';
      const reason = unstorable(child);
      if (reason) return reason;
    }
  }
  return undefined;
}
