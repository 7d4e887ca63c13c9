import { z } from 'zod';
import type { PipelineDefinition } from '../../db/schema';
import { type FieldError, ValidationError } from './errors';
import { contentHash } from './hashing';
import { identifierPattern } from './identifiers';
import { REGISTRY_LIMITS } from './registry-limits';

export const DEFINITION_LIMITS = { stages: 200, tasksPerStage: 100, bytes: 256 * 1024 } as const;

const identifier = z.string().regex(identifierPattern(64), 'must be 1-64 letters, digits, "_", "." or "-", starting with a letter or digit');
const config = z.record(z.string(), z.unknown());

// `meta({ id })` is plain zod; the API's OpenAPI document picks it up as a named component.
export const TaskDefinitionSchema = z
  .strictObject({
    id: identifier,
    // The registry task it runs: the same alphabet the registry accepts for task ids.
    task: z.string().regex(identifierPattern(REGISTRY_LIMITS.taskName), 'must name a registry task (letters, digits, "_", ".", "-")'),
    config: config.optional(),
  })
  .meta({ id: 'TaskDefinition' });

export const StageDefinitionSchema = z
  .strictObject({
    id: identifier,
    name: z.string().max(200).optional(),
    dependsOn: z.array(identifier).max(DEFINITION_LIMITS.stages).optional(),
    tasks: z.array(TaskDefinitionSchema).max(DEFINITION_LIMITS.tasksPerStage).optional(),
    config: config.optional(),
  })
  .meta({ id: 'StageDefinition' });

export const DefinitionSchema = z
  .strictObject({
    stages: z.array(StageDefinitionSchema).min(1, 'a pipeline needs at least one stage').max(DEFINITION_LIMITS.stages),
  })
  .meta({ id: 'PipelineDefinition' });

/**
 * Semantic checks zod cannot express: unique ids, known dependencies, no cycles. Paths are
 * relative to `prefix` (the definition's place in the request body) so the client can find the
 * offending field.
 */
export function definitionErrors(definition: PipelineDefinition, prefix = 'definition'): FieldError[] {
  const errors: FieldError[] = [];
  const size = Buffer.byteLength(JSON.stringify(definition));
  if (size > DEFINITION_LIMITS.bytes) {
    errors.push({ path: prefix, message: `the definition is ${size} bytes; the limit is ${DEFINITION_LIMITS.bytes}` });
    return errors;
  }
  const stageIndex = new Map<string, number>();
  definition.stages.forEach((stage, i) => {
    if (stageIndex.has(stage.id)) {
      errors.push({ path: `${prefix}.stages.${i}.id`, message: `duplicate stage id "${stage.id}"` });
    } else stageIndex.set(stage.id, i);
    const taskIds = new Set<string>();
    stage.tasks?.forEach((task, j) => {
      if (taskIds.has(task.id)) errors.push({ path: `${prefix}.stages.${i}.tasks.${j}.id`, message: `duplicate task id "${task.id}" in stage "${stage.id}"` });
      taskIds.add(task.id);
    });
  });
  definition.stages.forEach((stage, i) => {
    stage.dependsOn?.forEach((dep, j) => {
      if (!stageIndex.has(dep)) errors.push({ path: `${prefix}.stages.${i}.dependsOn.${j}`, message: `stage "${stage.id}" depends on unknown stage "${dep}"` });
      else if (dep === stage.id) errors.push({ path: `${prefix}.stages.${i}.dependsOn.${j}`, message: `stage "${stage.id}" depends on itself` });
    });
  });
  if (errors.length) return errors;

  const cycle = findCycle(definition);
  if (cycle) {
    errors.push({
      path: `${prefix}.stages.${stageIndex.get(cycle[0]!)}.dependsOn`,
      message: `dependency cycle: ${cycle.join(' -> ')}`,
    });
  }
  return errors;
}

/** Depth-first search over dependsOn edges; returns the stage ids of one cycle, closed. */
function findCycle(definition: PipelineDefinition): string[] | undefined {
  const deps = new Map(definition.stages.map((s) => [s.id, s.dependsOn ?? []]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const dep of deps.get(id) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const stage of definition.stages) {
    const cycle = visit(stage.id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Validates and returns the definition with its content hash; throws a ValidationError. */
export function prepareDefinition(definition: PipelineDefinition, prefix = 'definition') {
  const errors = definitionErrors(definition, prefix);
  if (errors.length) throw new ValidationError('the pipeline definition is invalid', errors);
  return { definition, hash: contentHash(definition) };
}

// Schedules are checked where the rest of the cron arithmetic lives.
export { scheduleError } from './cron';
