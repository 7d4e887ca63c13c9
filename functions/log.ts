/** One JSON object per line on stdout/stderr: what CloudWatch and `jq` both read well. */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

// Until an entry point applies the configured LOG_LEVEL (functions/config.ts reads it).
let threshold: number = LEVELS.info;

export function setLogLevel(level: LogLevel): void {
  threshold = LEVELS[level];
}

function write(level: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void {
  if (LEVELS[level] < threshold) return;
  const line = JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields });
  (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(`${line}\n`);
}

export const log = {
  debug: (msg: string, fields?: Record<string, unknown>) => write('debug', msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write('info', msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write('warn', msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write('error', msg, fields),
};

export interface LoggedError {
  name: string;
  message: string;
  /** The SQL statement's verb and first table (`insert api_keys`): which statement, never its values. */
  statement?: string;
  /** The Postgres error code (23505, 57014, 08006…). */
  sqlState?: string;
  /** Names Postgres gives with the error: never values. */
  constraint?: string;
  table?: string;
  column?: string;
  code?: string;
  /** Stack frames only: an error's first stack line repeats its message, which may hold values. */
  stack?: string;
}

const REDACTED = '[redacted]';
const STATEMENT = /\b(insert into|update|delete from|from)\s+"?([A-Za-z_][\w]*)"?/i;
const VERBS: Record<string, string> = { 'insert into': 'insert', update: 'update', 'delete from': 'delete', from: 'select' };

/** `insert api_keys`, `select pipelines`: enough to find the statement in the code. */
export function statementName(query: string): string {
  const match = STATEMENT.exec(query);
  if (!match) return query.trim().split(/\s+/, 1)[0]?.toLowerCase() ?? 'statement';
  return `${VERBS[match[1]!.toLowerCase()]} ${match[2]}`;
}

/** Every value a statement was sent with, as text that could appear inside an error message. */
function parameterTexts(params: unknown[]): string[] {
  const texts = new Set<string>();
  for (const value of params) {
    if (value === null || value === undefined) continue;
    const text = typeof value === 'string' ? value : value instanceof Date ? value.toISOString() : JSON.stringify(value);
    // One character is no secret, and cutting it out everywhere would leave no message.
    if (text.length >= 2) texts.add(text);
    // JSON (jsonb parameters are sent as text): its strings are what Postgres may print back,
    // re-spaced, so each string is cut out on its own too.
    const json = typeof value === 'object' && !(value instanceof Date) ? value : /^\s*[[{]/.test(text) ? parseJson(text) : undefined;
    if (json !== undefined) for (const leaf of jsonStrings(json)) texts.add(leaf);
  }
  // Longest first: a value that contains another is replaced whole.
  return [...texts].sort((a, b) => b.length - a.length);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function jsonStrings(root: unknown): string[] {
  const found: string[] = [];
  const stack = [root];
  while (stack.length && found.length < 1_000) {
    const value = stack.pop();
    if (typeof value === 'string') found.push(value);
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) stack.push(k, v);
  }
  // Short strings ("a", "1") would cut ordinary words out of the message; quoting handles those.
  return found.filter((s) => s.length >= 3);
}

function redact(message: string, values: string[]): string {
  let out = message;
  for (const value of values) if (out.includes(value)) out = out.split(value).join(REDACTED);
  // Postgres quotes the offending input in messages such as `invalid input syntax for type
  // integer: "…"`: a value the statement was not sent with verbatim (a cast of one) is still one.
  return out.replace(/(for type [\w ]+|value|input): "(?:[^"\\]|\\.)*"/g, `$1: "${REDACTED}"`);
}

const frames = (stack: unknown) =>
  typeof stack === 'string'
    ? stack
        .split('\n')
        .filter((line) => line.startsWith('    at '))
        .join('\n') || undefined
    : undefined;

/**
 * What a log line may say about an error. Drizzle's errors carry the SQL and every parameter in
 * their message ("Failed query: … params: …"), and Postgres puts values in `detail` ("Key
 * (name)=(x) already exists"): neither is ever logged. What is: the statement's name, the
 * SQLSTATE, the database's own message with any parameter value cut out, and the stack frames.
 */
export function errorFields(err: unknown): LoggedError {
  if (!(err instanceof Error)) return { name: typeof err, message: String(err) };
  const chain: Error[] = [];
  for (let e: unknown = err; e instanceof Error && chain.length < 8; e = e.cause) chain.push(e);
  const query = chain.find((e): e is Error & { query: string; params: unknown[] } => typeof (e as { query?: unknown }).query === 'string');
  if (!query) {
    const fields: LoggedError = { name: err.name, message: err.message, stack: frames(err.stack) };
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') fields.code = code;
    return fields;
  }
  const values = parameterTexts(Array.isArray(query.params) ? query.params : []);
  // The driver's error below Drizzle's: the one with the database's message and code.
  const cause = chain[chain.indexOf(query) + 1] ?? query;
  const pick = (name: string) => {
    const value = (cause as unknown as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  };
  const rawCode = pick('code');
  const sqlState = rawCode && /^[0-9A-Z]{5}$/.test(rawCode) ? rawCode : /SQLState: ([0-9A-Z]{5})/.exec(cause.message)?.[1];
  const fields: LoggedError = {
    name: cause === query ? err.name : cause.name,
    statement: statementName(query.query),
    message: cause === query ? 'query failed' : redact(cause.message, values),
    stack: frames(cause.stack) ?? frames(query.stack),
  };
  if (sqlState) fields.sqlState = sqlState;
  else if (rawCode) fields.code = rawCode;
  for (const name of ['constraint', 'table', 'column'] as const) {
    const value = pick(name);
    if (value) fields[name] = value;
  }
  return fields;
}
