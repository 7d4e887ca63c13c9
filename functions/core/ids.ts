import { typeid } from 'typeid-js';

/** Prefixed, time-sortable ids (TypeID: prefix + base32 UUIDv7). The prefix says what an id names. */
const PREFIXES = {
  project: 'proj',
  apiKey: 'key',
  pipeline: 'pl',
  version: 'plv',
  run: 'run',
  taskRun: 'tr',
  dlq: 'dlq',
  codeHistory: 'tch',
  consoleSession: 'cses',
} as const;

export type IdKind = keyof typeof PREFIXES;

export const newId = (kind: IdKind): string => typeid(PREFIXES[kind]).toString();

/** True when `value` has the shape of an id of this kind (cheap check before a lookup). */
export const looksLikeId = (kind: IdKind, value: string): boolean =>
  value.startsWith(`${PREFIXES[kind]}_`) && /^[a-z]+_[0-7][0-9a-hjkmnp-tv-z]{25}$/.test(value);
