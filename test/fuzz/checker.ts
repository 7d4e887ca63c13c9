/**
 * Checks a response against the operation's declaration in the served document: no 5xx, the
 * status declared, required headers present, errors as problem+json, 2xx bodies valid (ajv, JSON
 * Schema 2020-12 as OpenAPI 3.1 uses it), and no success for a request that had to fail.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Doc, Op } from './document';
import type { RawResponse } from './http-client';
import type { Schema } from './schema-arbitrary';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

export class Checker {
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

export function describe(request: { method: string; path: string; headers: Record<string, string>; body?: Buffer }): string {
  const { body } = request;
  const shown = body && body.length > 300 ? `${body.subarray(0, 300).toString('utf8')}…(${body.length} bytes)` : body?.toString('utf8');
  return `${request.method} ${request.path} ${JSON.stringify(request.headers)} ${shown ?? ''}`;
}

export function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return Symbol('not JSON');
  }
}
