/**
 * A structural diff of two versions of a pipeline (GET /v1/pipelines/{id}/versions/{a}/diff/{b}),
 * computed by microdiff over the definitions with stages and tasks keyed by id, so that a change is
 * named by what it is about (`stages[id=build].tasks[id=compile].config.optimize`) rather than by
 * array positions that shift when a stage is inserted.
 */
import { and, eq, inArray, or } from 'drizzle-orm';
import canonicalize from 'canonicalize';
import diff from 'microdiff';
import type { DbOrTx } from '../../db/client';
import { type PipelineDefinition, pipelines, pipelineVersions } from '../../db/schema';
import { NotFoundError, ValidationError } from './errors';
import { INT4_MAX } from './bounds';

export interface DefinitionChange {
  type: 'added' | 'removed' | 'changed';
  /** JSONPath into the definitions, stages and tasks selected by id. */
  path: string;
  from?: unknown;
  to?: unknown;
}

interface IdChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface VersionDiff {
  pipelineId: string;
  from: { number: number; hash: string };
  to: { number: number; hash: string };
  identical: boolean;
  stages: IdChanges;
  /** Tasks as "stageId/taskId". */
  tasks: IdChanges;
  changes: DefinitionChange[];
  /** Both definitions as canonical JSON (RFC 8785 key order), indented: ready for a line diff. */
  text: { from: string; to: string };
}

type Keyed = { stages: Record<string, Record<string, unknown> & { tasks: Record<string, unknown> }> } & Record<string, unknown>;

/** Stages and tasks as objects keyed by id (their order is not part of what a change is about). */
function keyed(definition: PipelineDefinition): Keyed {
  const { stages, ...rest } = definition;
  return {
    ...rest,
    stages: Object.fromEntries(
      stages.map(({ tasks, ...stage }) => [stage.id, { ...stage, tasks: Object.fromEntries((tasks ?? []).map((task) => [task.id, task])) }]),
    ),
  };
}

const jsonPath = (path: (string | number)[]): string => {
  let out = '$';
  for (let i = 0; i < path.length; i++) {
    const part = path[i]!;
    const container = path[i - 1];
    if ((container === 'stages' && i === 1) || (container === 'tasks' && i === 3)) out += `[?(@.id==${JSON.stringify(part)})]`;
    else if (typeof part === 'number') out += `[${part}]`;
    else out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`;
  }
  return out;
};

const canonicalText = (definition: PipelineDefinition) => `${JSON.stringify(JSON.parse(canonicalize(definition) ?? 'null'), null, 2)}\n`;

/** A version number or a 64-hex content hash, as in GET …/versions/{numberOrHash}. */
function versionRef(value: string, param: string): { number: number } | { hash: string } {
  if (/^[1-9][0-9]{0,9}$/.test(value) && Number(value) <= INT4_MAX) return { number: Number(value) };
  if (/^[0-9a-f]{64}$/.test(value)) return { hash: value };
  throw new ValidationError('expected a version number or a content hash', [
    { path: `param.${param}`, message: 'expected a positive integer (int4) or 64 lowercase hex digits' },
  ]);
}

export function diffDefinitions(a: PipelineDefinition, b: PipelineDefinition) {
  const changes = diff(keyed(a), keyed(b));
  const stages: IdChanges = { added: [], removed: [], changed: [] };
  const tasks: IdChanges = { added: [], removed: [], changed: [] };
  const note = (into: IdChanges, kind: keyof IdChanges, id: string) => {
    if (!into.added.includes(id) && !into.removed.includes(id) && !into[kind].includes(id)) into[kind].push(id);
  };
  for (const change of changes) {
    const [root, stageId, sub, taskId] = change.path;
    if (root !== 'stages' || stageId === undefined) continue;
    const whole = change.path.length === 2;
    note(stages, whole ? (change.type === 'CREATE' ? 'added' : change.type === 'REMOVE' ? 'removed' : 'changed') : 'changed', String(stageId));
    if (sub === 'tasks' && taskId !== undefined) {
      const kind = change.path.length === 4 ? (change.type === 'CREATE' ? 'added' : change.type === 'REMOVE' ? 'removed' : 'changed') : 'changed';
      note(tasks, kind, `${String(stageId)}/${String(taskId)}`);
    } else if (whole) {
      // A stage added or removed whole brings its tasks along.
      const stage = (change.type === 'CREATE' ? change.value : change.oldValue) as { tasks?: Record<string, unknown> };
      for (const id of Object.keys(stage?.tasks ?? {})) note(tasks, change.type === 'CREATE' ? 'added' : 'removed', `${String(stageId)}/${id}`);
    }
  }
  // A whole stage is given back in its definition's shape: tasks as a list again.
  const shaped = (path: (string | number)[], value: unknown) =>
    path.length === 2 && path[0] === 'stages' && value && typeof value === 'object'
      ? (({ tasks, ...stage }: { tasks?: Record<string, unknown> }) => ({ ...stage, tasks: Object.values(tasks ?? {}) }))(value)
      : value;
  return {
    stages,
    tasks,
    changes: changes.map((change): DefinitionChange => {
      const path = jsonPath(change.path);
      if (change.type === 'CREATE') return { type: 'added', path, to: shaped(change.path, change.value) };
      if (change.type === 'REMOVE') return { type: 'removed', path, from: shaped(change.path, change.oldValue) };
      return { type: 'changed', path, from: change.oldValue, to: change.value };
    }),
  };
}

export async function diffVersions({
  db,
  projectId,
  pipelineIdOrName,
  from,
  to,
}: {
  db: DbOrTx;
  projectId: string;
  pipelineIdOrName: string;
  from: string;
  to: string;
}): Promise<VersionDiff> {
  const refs = [versionRef(from, 'a'), versionRef(to, 'b')];
  const numbers = refs.flatMap((r) => ('number' in r ? [r.number] : []));
  const hashes = refs.flatMap((r) => ('hash' in r ? [r.hash] : []));
  const rows = await db
    .select({ pipelineId: pipelines.id, version: pipelineVersions })
    .from(pipelines)
    .leftJoin(
      pipelineVersions,
      and(
        eq(pipelineVersions.pipelineId, pipelines.id),
        or(numbers.length ? inArray(pipelineVersions.number, numbers) : undefined, hashes.length ? inArray(pipelineVersions.hash, hashes) : undefined),
      ),
    )
    .where(and(eq(pipelines.projectId, projectId), or(eq(pipelines.id, pipelineIdOrName), eq(pipelines.name, pipelineIdOrName))));
  if (rows.length === 0) throw new NotFoundError('pipeline', pipelineIdOrName);
  const find = (ref: (typeof refs)[number], given: string) => {
    const row = rows.find(({ version }) => version && ('number' in ref ? version.number === ref.number : version.hash === ref.hash));
    if (!row?.version) throw new NotFoundError('version', given);
    return row.version;
  };
  const a = find(refs[0]!, from);
  const b = find(refs[1]!, to);
  const { stages, tasks, changes } = diffDefinitions(a.definition, b.definition);
  return {
    pipelineId: rows[0]!.pipelineId,
    from: { number: a.number, hash: a.hash },
    to: { number: b.number, hash: b.hash },
    identical: a.hash === b.hash,
    stages,
    tasks,
    changes,
    text: { from: canonicalText(a.definition), to: canonicalText(b.definition) },
  };
}
