/**
 * Named parameters of the RDS Data API (`:name`) rewritten to Postgres positional ones (`$n`),
 * and the typed values that go with them.
 *
 * The real service binds through JDBC, which declares a type for every parameter. We reproduce
 * that by sending parameter type OIDs in the Parse message instead of editing casts into the SQL,
 * so the statement Postgres sees keeps the caller's shape and operator precedence.
 */
import { Buffer } from 'node:buffer';
import { OID } from './types';

export class RequestError extends Error {}

interface Field {
  isNull?: boolean;
  stringValue?: string;
  longValue?: number;
  doubleValue?: number;
  booleanValue?: boolean;
  blobValue?: string;
  arrayValue?: unknown;
}

interface SqlParameter {
  name?: string;
  value?: Field;
  typeHint?: string;
}

export interface BoundStatement {
  text: string;
  /** Text-format values, `null` for SQL NULL. */
  values: (string | null)[];
  /** Parameter type OIDs for the Parse message; 0 lets Postgres infer (untyped NULL). */
  types: number[];
}

const HINT_OIDS: Record<string, number> = {
  JSON: OID.json,
  UUID: OID.uuid,
  TIMESTAMP: OID.timestamp,
  DATE: OID.date,
  TIME: OID.time,
  DECIMAL: OID.numeric,
};

// JDBC's Timestamp/Date/Time.valueOf reject anything else (notably ISO 8601 with "T" or an
// offset), while Postgres would quietly accept and reinterpret them; mirror the stricter side.
const HINT_FORMATS: Record<string, [RegExp, string]> = {
  TIMESTAMP: [/^\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{1,2}:\d{1,2}(\.\d{1,9})?$/, 'Timestamp format must be yyyy-mm-dd hh:mm:ss[.fffffffff]'],
  DATE: [/^\d{4}-\d{1,2}-\d{1,2}$/, 'Date format must be yyyy-mm-dd'],
  TIME: [/^\d{1,2}:\d{1,2}:\d{1,2}(\.\d{1,9})?$/, 'Time format must be hh:mm:ss[.fffffffff]'],
};

const IDENT_CHAR = /[A-Za-z0-9_$]/;
const PARAM_CHAR = /[A-Za-z0-9_]/;

/** Length of a `$tag$` opener at `i`, or 0 when the `$` is not one (e.g. `$1`, `a$b`). */
function dollarTagLength(sql: string, i: number): number {
  if (i > 0 && IDENT_CHAR.test(sql[i - 1]!)) return 0;
  const match = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 130));
  return match ? match[0].length : 0;
}

/**
 * Index just past the quoted/commented region starting at `i`, or `i` when nothing starts there.
 * Handles '…' (and E'…' with backslashes), "…", $tag$…$tag$, -- and nested /* *\/.
 */
function skipOpaque(sql: string, i: number): number {
  const c = sql[i];
  const next = sql[i + 1];
  if (c === "'" || c === '"') {
    const escapes = c === "'" && i > 0 && /[eE]/.test(sql[i - 1]!) && (i < 2 || !IDENT_CHAR.test(sql[i - 2]!));
    let j = i + 1;
    while (j < sql.length) {
      if (escapes && sql[j] === '\\') j += 2;
      else if (sql[j] === c && sql[j + 1] === c) j += 2;
      else if (sql[j] === c) return j + 1;
      else j++;
    }
    return sql.length;
  }
  if (c === '-' && next === '-') {
    const end = sql.indexOf('\n', i);
    return end === -1 ? sql.length : end + 1;
  }
  if (c === '/' && next === '*') {
    let depth = 1;
    let j = i + 2;
    while (j < sql.length && depth > 0) {
      if (sql[j] === '/' && sql[j + 1] === '*') depth++, (j += 2);
      else if (sql[j] === '*' && sql[j + 1] === '/') depth--, (j += 2);
      else j++;
    }
    return j;
  }
  if (c === '$') {
    const len = dollarTagLength(sql, i);
    if (len === 0) return i;
    const tag = sql.slice(i, i + len);
    const end = sql.indexOf(tag, i + len);
    return end === -1 ? sql.length : end + len;
  }
  return i;
}

/**
 * Replaces `:name` by `$n` for every name in `known`, numbering names by first use. Anything
 * that is not a known name (an array slice `[1:2]`, a typo) is left for Postgres to judge.
 */
export function rewriteNamedParameters(sql: string, known: ReadonlySet<string>): { text: string; order: string[] } {
  const order: string[] = [];
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const skipped = skipOpaque(sql, i);
    if (skipped > i) {
      out += sql.slice(i, skipped);
      i = skipped;
      continue;
    }
    if (sql[i] === ':' && sql[i + 1] === ':') {
      out += '::';
      i += 2;
      continue;
    }
    if (sql[i] === ':') {
      let j = i + 1;
      while (j < sql.length && PARAM_CHAR.test(sql[j]!)) j++;
      const name = sql.slice(i + 1, j);
      if (name && known.has(name)) {
        let index = order.indexOf(name);
        if (index === -1) index = order.push(name) - 1;
        out += `$${index + 1}`;
        i = j;
        continue;
      }
    }
    out += sql[i];
    i++;
  }
  return { text: out, order };
}

function bindValue(param: SqlParameter): { value: string | null; type: number } {
  const { value, typeHint } = param;
  if (typeHint !== undefined && !(typeHint in HINT_OIDS)) {
    throw new RequestError(`Invalid typeHint: ${typeHint}`);
  }
  if (!value || typeof value !== 'object') throw new RequestError(`Parameter ${param.name} has no value`);
  if (value.arrayValue !== undefined) throw new RequestError('Array parameters are not supported.');
  if (value.isNull) return { value: null, type: typeHint ? HINT_OIDS[typeHint]! : 0 };
  if (typeof value.stringValue === 'string') {
    if (!typeHint) return { value: value.stringValue, type: OID.varchar };
    const format = HINT_FORMATS[typeHint];
    if (format && !format[0].test(value.stringValue)) throw new RequestError(format[1]);
    return { value: value.stringValue, type: HINT_OIDS[typeHint]! };
  }
  if (typeof value.longValue === 'number') {
    if (!Number.isInteger(value.longValue)) throw new RequestError(`Invalid longValue for parameter ${param.name}`);
    return { value: BigInt(value.longValue).toString(), type: OID.int8 };
  }
  if (typeof value.doubleValue === 'number') return { value: String(value.doubleValue), type: OID.float8 };
  if (typeof value.booleanValue === 'boolean') return { value: value.booleanValue ? 't' : 'f', type: OID.bool };
  if (typeof value.blobValue === 'string') {
    return { value: `\\x${Buffer.from(value.blobValue, 'base64').toString('hex')}`, type: OID.bytea };
  }
  throw new RequestError(`Parameter ${param.name} has no supported value`);
}

/** Validates the request's `parameters` and binds them to the rewritten statement. */
export function bindStatement(sql: string, parameters: unknown): BoundStatement {
  if (parameters !== undefined && !Array.isArray(parameters)) throw new RequestError('parameters must be a list');
  const byName = new Map<string, SqlParameter>();
  for (const param of (parameters ?? []) as SqlParameter[]) {
    if (!param || typeof param.name !== 'string' || param.name === '') {
      throw new RequestError('Every parameter needs a name');
    }
    byName.set(param.name, param);
  }
  const { text, order } = rewriteNamedParameters(sql, new Set(byName.keys()));
  const values: (string | null)[] = [];
  const types: number[] = [];
  for (const name of order) {
    const bound = bindValue(byName.get(name)!);
    values.push(bound.value);
    types.push(bound.type);
  }
  return { text, values, types };
}
