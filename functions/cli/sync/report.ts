/** The sync report: one JSON document for --json, and its human rendering. */
import type { Outcome, Plan, PlanItem } from './plan';

export type SyncMode = 'apply' | 'dry-run' | 'check';

export interface SyncReport {
  mode: SyncMode;
  target: string;
  dir: string;
  /** True when the store already matched the code before this run. */
  inSync: boolean;
  summary: { files: number; evaluated: number; skipped: number; create: number; update: number; unchanged: number; prune: number };
  pipelines: {
    name: string;
    action: PlanItem['action'];
    file?: string;
    skipped?: boolean;
    definition?: boolean;
    metadata?: string[];
    version?: number;
    newVersion?: boolean;
  }[];
  notInCode: string[];
}

export function buildReport(mode: SyncMode, target: string, dir: string, plan: Plan, outcomes: Outcome[] = []): SyncReport {
  const count = (action: PlanItem['action']) => plan.items.filter((i) => i.action === action).length;
  const skipped = plan.items.filter((i) => i.action === 'unchanged' && i.skipped).length;
  const files = plan.items.filter((i) => i.action !== 'prune').length;
  const byName = new Map(outcomes.map((o) => [o.name, o]));
  return {
    mode,
    target,
    dir,
    inSync: plan.items.every((i) => i.action === 'unchanged'),
    summary: {
      files,
      evaluated: files - skipped,
      skipped,
      create: count('create'),
      update: count('update'),
      unchanged: count('unchanged'),
      prune: count('prune'),
    },
    pipelines: plan.items.map((item) => ({
      name: item.name,
      action: item.action,
      ...('file' in item && { file: item.file }),
      ...(item.action === 'unchanged' && { skipped: item.skipped }),
      ...(item.action === 'update' && { definition: item.definition, metadata: item.metadata }),
      ...(byName.get(item.name)?.version !== undefined && { version: byName.get(item.name)!.version, newVersion: byName.get(item.name)!.newVersion }),
    })),
    notInCode: plan.notInCode,
  };
}

function describe(p: SyncReport['pipelines'][number]): string {
  const parts: string[] = [];
  if (p.action === 'create') parts.push('version 1');
  if (p.definition) {
    parts.push(p.version === undefined ? 'new definition' : `definition -> version ${p.version}${p.newVersion ? '' : ' (existing, re-activated)'}`);
  }
  if (p.metadata?.length) parts.push(`metadata: ${p.metadata.join(', ')}`);
  if (p.file) parts.push(p.file);
  return `  ${p.action.padEnd(7)} ${p.name.padEnd(30)} ${parts.join('; ')}`;
}

export function renderReport(r: SyncReport): string {
  const s = r.summary;
  const lines = r.pipelines.filter((p) => p.action !== 'unchanged').map(describe);
  const unchanged = `${s.unchanged} unchanged (${s.skipped} skipped by source hash)`;
  const changes = `create ${s.create}, update ${s.update}, prune ${s.prune}`;
  const header =
    r.mode === 'apply'
      ? r.inSync
        ? `Nothing to do: ${r.dir} and ${r.target} are in sync; ${unchanged}.`
        : `Synced ${r.dir} to ${r.target}: ${changes}; ${unchanged}.`
      : r.mode === 'check'
        ? r.inSync
          ? `In sync: ${r.dir} and ${r.target}; ${unchanged}.`
          : `Out of sync: ${r.dir} vs ${r.target} would ${changes}; ${unchanged}.`
        : `Plan for ${r.target} (dry run, nothing written): ${changes}; ${unchanged}.`;
  if (r.notInCode.length) lines.push(`Not in code (kept; --prune deletes them): ${r.notInCode.join(', ')}`);
  return [header, ...lines].join('\n');
}
