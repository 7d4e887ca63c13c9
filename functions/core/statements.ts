import { type Placeholder, type SQL, sql } from 'drizzle-orm';
import { type DbOrTx, preparedFor } from '../../db/client';

/** A statement's parameters as its builder sees them: placeholders when prepared, values otherwise. */
export type StatementParams<Values> = { readonly [K in keyof Values]: SQL };
/** The same, for builder methods that take a value or a placeholder but no SQL (`.limit()`). */
export type StatementValues<Values> = { readonly [K in keyof Values]: Values[K] | Placeholder };

interface Buildable<Result> extends PromiseLike<Result> {
  prepare(name: string): { execute(values: Record<string, unknown>): Promise<Result> };
}

/**
 * Runs the statement that `build` makes. Where the driver can share prepared statements (see
 * `preparedFor`), it is built once with placeholders and executed as a named prepared statement:
 * no query building in Node and no parse/plan in Postgres on the hot path, which is most of the
 * difference between Drizzle and raw `pg` for one-row writes. Elsewhere (Data API, transactions)
 * it is built with the values each time.
 *
 * `name` must say everything about the statement's shape that `build` reads besides `params`
 * (which columns a patch sets, which filters apply): one prepared statement exists per name.
 * Values go to the driver as they are (undefined as NULL), so JSON must already be text, cast
 * with `::jsonb`.
 */
export async function runStatement<Values extends Record<string, unknown>, Result>(
  db: DbOrTx,
  name: string,
  values: Values,
  build: (db: DbOrTx, params: StatementParams<Values>, bound: StatementValues<Values>) => Buildable<Result>,
): Promise<Result> {
  const prepared = preparedFor(db, name, (d) => {
    const placeholders = Object.fromEntries(Object.keys(values).map((key) => [key, sql.placeholder(key)]));
    return build(
      d,
      paramsOf(values, (key) => sql`${placeholders[key]}`),
      placeholders as StatementValues<Values>,
    ).prepare(`pipestore_${name}`);
  });
  return prepared
    ? prepared.execute(values)
    : build(
        db,
        paramsOf(values, (key) => sql`${values[key] ?? null}`),
        values,
      );
}

function paramsOf<Values extends Record<string, unknown>>(values: Values, param: (key: string) => SQL): StatementParams<Values> {
  const params: Record<string, SQL> = {};
  for (const key of Object.keys(values)) params[key] = param(key);
  return params as StatementParams<Values>;
}

/** JSON as the text a `::jsonb` parameter takes; absent or null stays SQL NULL. */
export const jsonText = (value: unknown): string | null => (value === undefined || value === null ? null : JSON.stringify(value));

/**
 * The name of a conditional update's statement: the target status ("live" for a patch without
 * one), the fields the patch sets, and whether an If-Match revision is checked. A handful of
 * these are in real use.
 */
export const updateShape = (table: string, target: string | undefined, sets: Record<string, boolean>, checksRevision: boolean) =>
  `${table}_update_${target ?? 'live'}_${patchShape(sets)}${checksRevision ? '_if_match' : ''}`;

/**
 * The fields a patch sets, for a statement name: their initials ("co" = currentStage and output),
 * which keeps names under Postgres's 63 characters. Two fields with one initial would give two
 * shapes one name (and one statement), so that is refused outright.
 */
export function patchShape(sets: Record<string, boolean>): string {
  const fields = Object.keys(sets);
  if (new Set(fields.map((field) => field[0])).size !== fields.length) throw new Error(`patchShape: ${fields.join(', ')} share an initial`);
  return (
    fields
      .filter((field) => sets[field])
      .map((field) => field[0])
      .join('') || 'none'
  );
}
