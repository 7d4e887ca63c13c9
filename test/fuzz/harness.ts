/**
 * The API fuzzer: drives every operation of the served /openapi.json over loopback with generated
 * valid and hostile requests, and checks every response against the same document:
 * - no 5xx;
 * - every status is declared for the operation;
 * - every 4xx is application/problem+json and validates as a Problem with its own status;
 * - every 2xx JSON body validates against the operation's response schema (ajv, JSON Schema
 *   2020-12 as OpenAPI 3.1 uses it), and the headers declared `required` are there.
 * Generation is seeded (fast-check), so a run is reproducible from (seed, runs). The fixtures it
 * needs (a project, its key, a pipeline, a run, a task run, a DLQ entry, a service, a stored task
 * result) are made through the API itself and remade every few requests, since the fuzz deletes,
 * cancels and revokes them.
 */
import { randomUUID } from 'node:crypto';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import { type Client, type RawResponse, createClient } from './http-client';
import { RAW, type Mutation, type Schema, applyMutation, arbitraryFor, mutation, serialize } from './schema-arbitrary';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

type Doc = {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
};
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}
interface ResponseSpec {
  description?: string;
  headers?: Record<string, { required?: boolean }>;
  content?: Record<string, { schema?: Schema }>;
}
interface Operation {
  operationId?: string;
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses: Record<string, ResponseSpec>;
}
interface Op {
  method: string;
  template: string;
  id: string;
  spec: Operation;
  access: 'project' | 'admin' | 'public';
}

export interface Finding {
  operation: string;
  request: string;
  status: number;
  problem: string;
}

export interface FuzzReport {
  seed: number;
  operations: number;
  requests: number;
  setupRequests: number;
  byStatus: Record<string, number>;
  serverErrors: number;
  undeclared: number;
  findings: Finding[];
  /** A few requests per status, to see what the generated traffic looks like. */
  samples: Record<string, string[]>;
}

export interface FuzzOptions {
  baseUrl: string;
  adminToken: string;
  seed: number;
  /** Generated requests per operation. */
  runs: number;
  /** Fixtures are remade after this many requests of an operation. */
  refreshEvery?: number;
  onProgress?: (line: string) => void;
}

interface Fixtures {
  projectId: string;
  key: string;
  spareKeyId: string;
  pipelineId: string;
  pipelineName: string;
  runId: string;
  taskRunId: string;
  dlqId: string;
  serviceId: string;
  taskName: string;
  taskKey: string;
  versionHash: string;
  /** Cursors seen in list responses: genuine ones, to be replayed on other lists and operations. */
  cursors: string[];
}

const DEFINITION = {
  stages: [
    { id: 'fetch', tasks: [{ id: 'download', task: 'http.get' }] },
    { id: 'build', dependsOn: ['fetch'], tasks: [{ id: 'compile', task: 'compile', config: { optimize: true } }] },
  ],
};

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

/** Known-good bodies per operation, so that most requests get past validation to the database. */
const EXAMPLES: Record<string, ((f: Fixtures) => unknown)[]> = {
  createProject: [() => ({ name: 'fuzz project' })],
  createApiKey: [() => ({}), () => ({ name: 'fuzz key' }), () => ({ expiresAt: '2999-01-01T00:00:00+02:00' })],
  createPipeline: [
    () => ({ name: `fuzz-${unique()}`, definition: DEFINITION }),
    () => ({ name: `fuzz-${unique()}`, description: 'd', schedule: '0 3 * * *', labels: { team: 'x' }, definition: DEFINITION }),
  ],
  updatePipeline: [() => ({ description: 'updated' }), () => ({ labels: { a: 'b' } }), () => ({ schedule: null })],
  activatePipelineVersion: [() => ({ version: 1 })],
  registerVersion: [
    () => ({ definition: { stages: [{ id: 'only', tasks: [{ id: 't', task: `task.${unique()}` }] }] } }),
    () => ({ definition: DEFINITION }),
  ],
  createRun: [() => ({}), () => ({ version: 1 }), () => ({ input: { a: [1, 'two', null] } })],
  updateRun: [
    () => ({ currentStage: 'fetch' }),
    () => ({ stageResults: { fetch: { ok: true } } }),
    () => ({ status: 'succeeded', output: { n: 1 } }),
    () => ({ status: 'running' }),
  ],
  heartbeatRun: [() => ({})],
  cancelRun: [() => ({}), () => ({ reason: 'fuzz' })],
  startTaskRun: [() => ({ stageId: 'fetch', taskId: 'download', attempt: 1 + (counter++ % 900), status: 'running', input: { x: 1 } })],
  updateTaskRun: [() => ({ progress: 0.5, messages: ['half'] }), () => ({ status: 'succeeded', output: [1] }), () => ({ status: 'failed', error: { e: 1 } })],
  replayDlqEntry: [() => ({})],
  putTaskResult: [() => ({ result: { ok: true }, ttlSeconds: 60 }), () => ({ result: null })],
  registerService: [
    () => ({ tasks: [{ id: 'fuzz.task', codeHash: `h${counter++}`, maxAttempts: 3, timeoutSeconds: 60 }] }),
    () => ({ version: '1.0.0', baseUrl: 'https://worker.example', status: 'draining', tasks: [] }),
  ],
};

/** What a path parameter of a genuine resource is, from the collection it is under. */
function fixtureParam(template: string, name: string, f: Fixtures, operationId: string): string {
  if (name === 'keyId') return f.spareKeyId;
  if (name === 'numberOrHash') return '1';
  const collection = template.split('/')[2];
  switch (collection) {
    case 'projects':
      return f.projectId;
    case 'pipelines':
      return operationId === 'getPipeline' && counter % 2 ? f.pipelineName : f.pipelineId;
    case 'runs':
      return f.runId;
    case 'task-runs':
      return f.taskRunId;
    case 'dlq':
      return f.dlqId;
    case 'services':
      return f.serviceId;
    case 'tasks':
      return f.taskName;
    case 'idempotency':
      return f.taskKey;
    default:
      return `unknown_${name}`;
  }
}

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
].map((text) => Buffer.from(text, 'utf8')).concat([Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), Buffer.from('{"a":"\xe9"}', 'latin1')]);

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

function planArbitrary(doc: Doc, op: Op): fc.Arbitrary<RequestPlan> {
  const parameters = op.spec.parameters ?? [];
  const pathParams = parameters.filter((p) => p.in === 'path');
  const queryParams = parameters.filter((p) => p.in === 'query');
  const headerNames = new Set(parameters.filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()));
  const param = fc.oneof(
    { weight: 8, arbitrary: fc.constant({ fixture: true as const }) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_PATH_PARAMS).map((raw) => ({ fixture: false as const, raw })) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !LONE_SURROGATE.test(s) && s !== '.' && s !== '..').map((s) => ({ fixture: false as const, raw: encodeURIComponent(s) })) },
  );
  const queryEntry = (p: Parameter) =>
    fc.oneof(
      { weight: 6, arbitrary: arbitraryFor(doc, p.schema).map((v) => ({ name: p.name, value: encodeURIComponent(String(v)) })) },
      { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_QUERY_VALUES).map((value) => ({ name: p.name, value })) },
      { weight: p.name === 'cursor' ? 4 : 0, arbitrary: fc.constantFrom('genuine', 'tampered', 'forged').map((value) => ({ name: p.name, value: `@cursor:${value}` })) },
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
        { weight: examples.length ? 8 : 0, arbitrary: fc.nat({ max: Math.max(0, examples.length - 1) }).map((index) => ({ mode: 'example' as const, index, mutations: [] })) },
        { weight: examples.length ? 8 : 0, arbitrary: fc.tuple(fc.nat({ max: Math.max(0, examples.length - 1) }), mutations).map(([index, m]) => ({ mode: 'example' as const, index, mutations: m })) },
        { weight: 3, arbitrary: arbitraryFor(doc, bodySchema).map((value) => ({ mode: 'generated' as const, value, mutations: [] })) },
        { weight: 2, arbitrary: fc.tuple(arbitraryFor(doc, bodySchema), mutations).map(([value, m]) => ({ mode: 'generated' as const, value, mutations: m })) },
        { weight: 3, arbitrary: fc.nat({ max: RAW_BODIES.length - 1 }).map((index) => ({ mode: 'raw' as const, index })) },
      )
    : fc.oneof({ weight: 19, arbitrary: fc.constant({ mode: 'none' as const }) }, { weight: 1, arbitrary: fc.nat({ max: RAW_BODIES.length - 1 }).map((index) => ({ mode: 'raw' as const, index })) });

  return fc.record({
    params: fc.record(Object.fromEntries(pathParams.map((p) => [p.name, param]))),
    query,
    auth: fc.oneof(
      { weight: 30, arbitrary: fc.constant('valid' as const) },
      { weight: 1, arbitrary: fc.constantFrom('missing' as const, 'basic' as const, 'unknown' as const, 'wrong-kind' as const, 'long' as const, 'latin1' as const) },
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
  }).map((plan) => ({
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

function buildRequest(op: Op, plan: RequestPlan, f: Fixtures, adminToken: string) {
  const path = op.template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const p = plan.params[name];
    return !p || p.fixture ? encodeURIComponent(fixtureParam(op.template, name, f, op.id)) : p.raw;
  });
  const query = plan.query
    .map(({ name, value }) => `${name}=${value.startsWith('@cursor:') ? cursorValue(value.slice(8), f) : value}`)
    .join('&');
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

function operations(doc: Doc): Op[] {
  return Object.entries(doc.paths).flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, spec]) => ({
      method,
      template,
      spec,
      id: spec.operationId ?? `${method} ${template}`,
      access: (Array.isArray(spec.security) && spec.security.length === 0
        ? 'public'
        : template.startsWith('/v1/projects')
          ? 'admin'
          : 'project') as Op['access'],
    })),
  );
}

class Checker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly doc: Doc) {
    addFormats(this.ajv);
  }

  private validator(key: string, schema: Schema): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) {
      // The schema with the document's components beside it, so its #/components/... refs resolve.
      validate = this.ajv.compile({ ...schema, components: this.doc.components });
      this.compiled.set(key, validate);
    }
    return validate;
  }

  /** What is wrong with this response for this operation, or undefined. */
  check(op: Op, res: RawResponse, mustFail?: string, bodyless?: boolean): string | undefined {
    if (mustFail && res.status < 400) return `accepted with ${res.status}: ${mustFail}`;
    if (bodyless && res.status === 415) return '415 for a request without a body';
    const declared = op.spec.responses[String(res.status)] ?? op.spec.responses[`${String(res.status)[0]}XX`] ?? op.spec.responses.default;
    if (res.status >= 500) return `server error ${res.status}: ${res.text.slice(0, 300)}`;
    if (!declared) return `status ${res.status} is not declared (declared: ${Object.keys(op.spec.responses).join(', ')}); body ${res.text.slice(0, 200)}`;
    for (const [name, header] of Object.entries(declared.headers ?? {})) {
      if (header.required && res.headers[name.toLowerCase()] === undefined) return `required header ${name} missing on ${res.status}`;
    }
    const type = String(res.headers['content-type'] ?? '');
    if (res.status >= 400) {
      if (type !== 'application/problem+json') return `error ${res.status} with Content-Type ${type}`;
      const body = parse(res.text);
      const problemSchema = declared.content?.['application/problem+json']?.schema;
      if (!problemSchema) return `error ${res.status} declared without a problem+json schema`;
      const validate = this.validator(`${op.id} ${res.status}`, problemSchema);
      if (!validate(body)) return `problem body invalid: ${this.ajv.errorsText(validate.errors)}`;
      if ((body as { status?: unknown }).status !== res.status) return `problem status ${(body as { status?: unknown }).status} != ${res.status}`;
      return undefined;
    }
    if (res.status === 204) return res.text === '' ? undefined : '204 with a body';
    const schema = declared.content?.['application/json']?.schema;
    if (!schema) return undefined;
    if (!type.startsWith('application/json')) return `${res.status} with Content-Type ${type}`;
    const validate = this.validator(`${op.id} ${res.status}`, schema);
    const body = parse(res.text);
    if (!validate(body)) return `${res.status} body does not match its schema: ${this.ajv.errorsText(validate.errors)}`;
    return undefined;
  }
}

function describe(request: { method: string; path: string; headers: Record<string, string>; body?: Buffer }): string {
  const { body } = request;
  const shown = body && body.length > 300 ? `${body.subarray(0, 300).toString('utf8')}…(${body.length} bytes)` : body?.toString('utf8');
  return `${request.method} ${request.path} ${JSON.stringify(request.headers)} ${shown ?? ''}`;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return Symbol('not JSON');
  }
}

async function makeFixtures(client: Client, adminToken: string, setup: { count: number }): Promise<Fixtures> {
  const call = async (method: string, path: string, token: string, body?: unknown, expected?: number[]) => {
    setup.count++;
    const res = await client.send({
      method,
      path,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
    });
    if (expected && !expected.includes(res.status)) throw new Error(`fixture ${method} ${path}: ${res.status} ${res.text}`);
    return JSON.parse(res.text || 'null');
  };
  const project = await call('POST', '/v1/projects', adminToken, { name: 'fuzz' }, [201]);
  const key = await call('POST', `/v1/projects/${project.id}/keys`, adminToken, {}, [201]);
  const spare = await call('POST', `/v1/projects/${project.id}/keys`, adminToken, {}, [201]);
  const k = key.key as string;
  const pipeline = await call('POST', '/v1/pipelines', k, { name: `fuzz-${unique()}`, definition: DEFINITION }, [201]);
  await call('POST', `/v1/pipelines/${pipeline.id}/runs`, k, {}, [201]);
  const run = await call('POST', `/v1/pipelines/${pipeline.id}/runs`, k, {}, [201]);
  await call('PATCH', `/v1/runs/${run.id}`, k, { status: 'running' }, [200]);
  const taskRun = await call('POST', `/v1/runs/${run.id}/tasks`, k, { stageId: 'fetch', taskId: 'download', status: 'running' }, [201]);
  const failing = await call('POST', `/v1/runs/${run.id}/tasks`, k, { stageId: 'build', taskId: 'compile', attempt: 3, status: 'running' }, [201]);
  await call('PATCH', `/v1/task-runs/${failing.id}`, k, { status: 'failed' }, [200]);
  const dlq = await call('GET', '/v1/dlq', k, undefined, [200]);
  await call('PUT', '/v1/services/fuzz-worker', k, { tasks: [{ id: 'fuzz.task', codeHash: 'h0' }] }, [201]);
  await call('PUT', '/v1/idempotency/fuzz-key', k, { result: { ok: true } }, [201]);
  const runs = await call('GET', `/v1/pipelines/${pipeline.id}/runs?limit=1`, k, undefined, [200]);
  return {
    projectId: project.id,
    key: k,
    spareKeyId: spare.id,
    pipelineId: pipeline.id,
    pipelineName: pipeline.name,
    runId: run.id,
    taskRunId: taskRun.id,
    dlqId: dlq.items[0].id,
    serviceId: 'fuzz-worker',
    taskName: 'fuzz.task',
    taskKey: 'fuzz-key',
    versionHash: pipeline.version.hash,
    cursors: runs.nextCursor ? [runs.nextCursor] : [],
  };
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const client = createClient(options.baseUrl);
  const refreshEvery = options.refreshEvery ?? 25;
  try {
    const docRes = await client.send({ method: 'GET', path: '/openapi.json', headers: {} });
    const doc = JSON.parse(docRes.text) as Doc;
    const ops = operations(doc);
    const checker = new Checker(doc);
    const report: FuzzReport = { seed: options.seed, operations: ops.length, requests: 0, setupRequests: 0, byStatus: {}, serverErrors: 0, undeclared: 0, findings: [], samples: {} };
    const setup = { count: 0 };

    for (const [index, op] of ops.entries()) {
      // Each operation has its own stream of the seed: adding an operation leaves the others' alone.
      const plans = fc.sample(planArbitrary(doc, op), { seed: options.seed + index * 7919, numRuns: options.runs });
      let fixtures = await makeFixtures(client, options.adminToken, setup);
      for (const [i, plan] of plans.entries()) {
        if (i > 0 && i % refreshEvery === 0) fixtures = await makeFixtures(client, options.adminToken, setup);
        const request = buildRequest(op, plan, fixtures, options.adminToken);
        const res = await client.send(request);
        report.requests++;
        report.byStatus[res.status] = (report.byStatus[res.status] ?? 0) + 1;
        const nextCursor = res.status === 200 ? (parse(res.text) as { nextCursor?: unknown }).nextCursor : undefined;
        if (typeof nextCursor === 'string') fixtures.cursors.push(nextCursor);
        const problem = checker.check(op, res, request.mustFail, !request.body?.byteLength);
        const samples = (report.samples[res.status] ??= []);
        if (samples.length < 3 || Math.random() < 0.01) samples[samples.length < 3 ? samples.length : Math.floor(Math.random() * 3)] = `${describe(request)} -> ${res.text.slice(0, 200)}`;
        if (problem) {
          if (res.status >= 500) report.serverErrors++;
          if (problem.startsWith('status ')) report.undeclared++;
          if (report.findings.length < 200) {
            report.findings.push({
              operation: op.id,
              request: describe(request),
              status: res.status,
              problem,
            });
          }
        }
      }
      options.onProgress?.(`${op.id}: ${plans.length} requests`);
    }
    report.setupRequests = setup.count;
    return report;
  } finally {
    client.close();
  }
}

export const newSeed = () => Number.parseInt(randomUUID().slice(0, 8), 16);
