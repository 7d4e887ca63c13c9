/**
 * Postgres text-format results turned into Data API `Field`s, the way Aurora's Data API shapes
 * them. Values arrive as raw text (no client-side type parsing) so nothing is lost before the
 * conversion, e.g. microseconds or int8 digits.
 */
import { Buffer } from 'node:buffer';
import type { TypeInfo, TypeRegistry, ValueKind } from './types';

export type Field =
  | { isNull: true }
  | { longValue: number }
  | { doubleValue: number | string }
  | { booleanValue: boolean }
  | { stringValue: string }
  | { blobValue: string }
  | { arrayValue: ArrayValue };

export type ArrayValue =
  | { longValues: (number | null)[] }
  | { doubleValues: (number | string | null)[] }
  | { booleanValues: (boolean | null)[] }
  | { stringValues: (string | null)[] }
  | { arrayValues: ArrayValue[] };

export interface ResultSetOptions {
  decimalReturnType?: 'STRING' | 'DOUBLE_OR_LONG';
  longReturnType?: 'STRING' | 'LONG';
}

export interface ColumnInfo {
  name: string;
  dataTypeID: number;
  /** Type modifier from the RowDescription, -1 when unknown. */
  dataTypeModifier?: number;
}

// Postgres prints timestamptz in the session time zone, with an offset. Aurora's Data API
// prints the same instant in UTC without one; that is what clients (Drizzle) parse.
const TIMESTAMPTZ = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?( BC)?$/;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function formatTimestamptz(text: string): string {
  const m = TIMESTAMPTZ.exec(text);
  if (!m) return text; // infinity, -infinity
  const [, y, mo, d, h, mi, s, fraction = '', sign, oh, om = '0', os = '0', bc = ''] = m;
  const offsetSeconds = (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60 + Number(os));
  if (offsetSeconds === 0) return `${y}-${mo}-${d} ${h}:${mi}:${s}${fraction}${bc}`;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s) - offsetSeconds);
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}${fraction}${bc}`
  );
}

function parseDouble(text: string): number | string {
  // The JSON protocol has no literal for these; Smithy clients read them back from strings.
  if (text === 'NaN' || text === 'Infinity' || text === '-Infinity') return text;
  return Number(text);
}

function decodeBytea(text: string): string {
  const bytes = text.startsWith('\\x') ? Buffer.from(text.slice(2), 'hex') : Buffer.from(text, 'latin1');
  return bytes.toString('base64');
}

function scalarField(text: string, kind: ValueKind, options: ResultSetOptions): Field {
  switch (kind) {
    case 'long':
      return options.longReturnType === 'STRING' ? { stringValue: text } : { longValue: Number(text) };
    case 'double':
      return { doubleValue: parseDouble(text) };
    case 'bool':
      return { booleanValue: text === 't' };
    case 'decimal':
      if (options.decimalReturnType !== 'DOUBLE_OR_LONG' || !/^-?\d+(\.\d*)?$/.test(text)) return { stringValue: text };
      return /^-?\d+$/.test(text) ? { longValue: Number(text) } : { doubleValue: Number(text) };
    case 'blob':
      return { blobValue: decodeBytea(text) };
    case 'timestamptz':
      return { stringValue: formatTimestamptz(text) };
    default:
      return { stringValue: text };
  }
}

type ArrayTree = (string | null | ArrayTree)[];

/** Parses Postgres' array output (`{a,"b c",NULL,{…}}`), keeping elements as raw text. */
export function parseArrayLiteral(text: string): ArrayTree {
  let i = text.startsWith('[') ? text.indexOf('=') + 1 : 0; // explicit bounds: [0:1]={…}
  const parse = (): ArrayTree => {
    const out: ArrayTree = [];
    i++; // '{'
    while (i < text.length && text[i] !== '}') {
      if (text[i] === ',' || text[i] === ' ') {
        i++;
      } else if (text[i] === '{') {
        out.push(parse());
      } else if (text[i] === '"') {
        let value = '';
        for (i++; i < text.length && text[i] !== '"'; i++) value += text[i] === '\\' ? text[++i] : text[i];
        i++;
        out.push(value);
      } else {
        const start = i;
        while (i < text.length && text[i] !== ',' && text[i] !== '}') i++;
        const raw = text.slice(start, i).trim();
        out.push(raw.toUpperCase() === 'NULL' ? null : raw);
      }
    }
    i++; // '}'
    return out;
  };
  return parse();
}

function arrayValue(tree: ArrayTree, elem: TypeInfo): ArrayValue {
  if (tree.some((e) => Array.isArray(e))) {
    return { arrayValues: tree.map((e) => arrayValue(Array.isArray(e) ? e : [], elem)) };
  }
  const items = tree as (string | null)[];
  const map = <T>(fn: (s: string) => T) => items.map((s) => (s === null ? null : fn(s)));
  switch (elem.kind) {
    case 'long':
      return { longValues: map(Number) };
    case 'double':
      return { doubleValues: map(parseDouble) };
    case 'bool':
      return { booleanValues: map((s) => s === 't') };
    case 'timestamptz':
      return { stringValues: map(formatTimestamptz) };
    default:
      return { stringValues: map((s) => s) };
  }
}

export function toField(text: string | null, oid: number, types: TypeRegistry, options: ResultSetOptions): Field {
  if (text === null) return { isNull: true };
  const info = types.get(oid);
  if (info.elem !== undefined) return { arrayValue: arrayValue(parseArrayLiteral(text), types.get(info.elem)) };
  return scalarField(text, info.kind, options);
}

/** `formatRecordsAs: JSON`: the same values, as one JSON document of objects keyed by column. */
export function formatRecords(columns: ColumnInfo[], records: Field[][]): string {
  const plain = (field: Field | ArrayValue): unknown => {
    const [key, value] = Object.entries(field)[0] ?? [];
    if (key === 'isNull') return null;
    if (key === 'arrayValue') return plain(value as ArrayValue);
    if (key === 'arrayValues') return (value as ArrayValue[]).map(plain);
    return value;
  };
  return JSON.stringify(records.map((row) => Object.fromEntries(row.map((f, i) => [columns[i]!.name, plain(f)]))));
}

/** `columnMetadata` entry, filled the way the JDBC driver describes a result column. */
export function columnMetadata(column: ColumnInfo, types: TypeRegistry) {
  const info = types.get(column.dataTypeID);
  const mod = column.dataTypeModifier ?? -1;
  let precision = 0;
  let scale = 0;
  if (info.name === 'numeric' && mod >= 4) {
    precision = ((mod - 4) >> 16) & 0xffff;
    scale = (mod - 4) & 0xffff;
  } else if ((info.name === 'varchar' || info.name === 'bpchar') && mod >= 4) {
    precision = mod - 4;
  } else if (info.kind === 'long') {
    precision = { int2: 5, int4: 10, int8: 19, oid: 10 }[info.name] ?? 0;
  } else if (info.kind === 'double') {
    precision = info.name === 'float4' ? 8 : 17;
  } else if (info.kind === 'string' && info.elem === undefined && mod < 0) {
    precision = 2147483647; // unbounded text-like types
  }
  return {
    name: column.name,
    label: column.name,
    typeName: info.name,
    type: info.jdbc,
    // Nullability and owning table would need a catalog lookup per column; report "unknown".
    nullable: 2,
    schemaName: '',
    tableName: '',
    isAutoIncrement: false,
    isSigned: info.kind === 'long' || info.kind === 'double' || info.kind === 'decimal',
    isCurrency: info.name === 'money',
    isCaseSensitive: info.kind === 'string' && info.jdbc !== 91 && info.jdbc !== 92 && info.jdbc !== 93,
    precision,
    scale,
    arrayBaseColumnType: 0,
  };
}
