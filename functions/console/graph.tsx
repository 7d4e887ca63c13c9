import { Graph, layout } from '@dagrejs/dagre';
import type { FC } from 'hono/jsx';
import type { PipelineDefinition } from '../../db/schema';

const FONT_WIDTH = 7; // px per character of the 12px labels (a generous average)
const LINE = 18;
const PAD = 10;
const MAX_CHARS = 40;

const clip = (text: string) => (text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS - 1)}…` : text);

export interface GraphOptions {
  /** Status of a task on the run page: colors it and names it in text beside the task. */
  taskStatus?: (stageId: string, taskId: string) => string | undefined;
}

interface StageBox {
  id: string;
  title: string;
  tasks: { id: string; label: string }[];
  width: number;
  height: number;
}

/**
 * The definition as a graph: one box per stage listing its tasks, an arrow for each dependsOn
 * edge, laid out left to right by dagre on the server, so the page needs no script to draw it.
 */
export function layoutDefinition(definition: PipelineDefinition) {
  return computeLayout(definition);
}

// Versions are immutable: a layout computed once per version hash serves every later page view
// (dagre takes milliseconds per graph; a Map in insertion order makes a small LRU).
const LAYOUTS_KEPT = 500;
const layouts = new Map<string, ReturnType<typeof computeLayout>>();

export function cachedLayout(definition: PipelineDefinition, hash: string | undefined) {
  if (!hash) return computeLayout(definition);
  let layout = layouts.get(hash);
  if (layout) {
    layouts.delete(hash);
  } else {
    layout = computeLayout(definition);
    if (layouts.size >= LAYOUTS_KEPT) layouts.delete(layouts.keys().next().value!);
  }
  layouts.set(hash, layout);
  return layout;
}

function computeLayout(definition: PipelineDefinition) {
  const g = new Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 56, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const boxes = new Map<string, StageBox>();
  for (const stage of definition.stages) {
    const title = clip(stage.name ? `${stage.name} (${stage.id})` : stage.id);
    const tasks = (stage.tasks ?? []).map((t) => ({ id: t.id, label: clip(t.id === t.task ? t.id : `${t.id}: ${t.task}`) }));
    const longest = Math.max(title.length + 2, ...tasks.map((t) => t.label.length + 4));
    const box = { id: stage.id, title, tasks, width: Math.max(120, longest * FONT_WIDTH + 2 * PAD), height: LINE + PAD * 2 + tasks.length * (LINE + 4) };
    boxes.set(stage.id, box);
    g.setNode(stage.id, { width: box.width, height: box.height });
  }
  for (const stage of definition.stages) for (const dep of stage.dependsOn ?? []) if (boxes.has(dep)) g.setEdge(dep, stage.id);
  layout(g);
  const nodes = [...boxes.values()].map((box) => {
    const n = g.node(box.id);
    return { ...box, x: n.x - box.width / 2, y: n.y - box.height / 2 };
  });
  const edges = g.edges().map((e) => ({ from: e.v, to: e.w, points: (g.edge(e).points ?? []) as { x: number; y: number }[] }));
  const { width = 0, height = 0 } = g.graph();
  return { nodes, edges, width: Math.ceil(width), height: Math.ceil(height) };
}

export const DefinitionGraph: FC<{ definition: PipelineDefinition; hash?: string } & GraphOptions> = ({ definition, hash, taskStatus }) => {
  const { nodes, edges, width, height } = cachedLayout(definition, hash);
  return (
    <figure class="graph" aria-label="Definition graph: stages, their tasks and dependencies">
      <svg xmlns="http://www.w3.org/2000/svg" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img">
        <title>{`${nodes.length} stages, ${edges.length} dependencies`}</title>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path class="arrow" d="M 0 0 L 10 5 L 0 10 z" />
          </marker>
        </defs>
        {edges.map((e) => (
          <path class="edge" marker-end="url(#arrow)" d={e.points.map((p, i) => `${i ? 'L' : 'M'} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(' ')}>
            <title>{`${e.from} → ${e.to}`}</title>
          </path>
        ))}
        {nodes.map((n) => (
          <g class="stage" data-stage={n.id}>
            <rect x={n.x} y={n.y} width={n.width} height={n.height} rx="6" />
            <text x={n.x + PAD} y={n.y + PAD + 12} font-weight="600">
              {n.title}
            </text>
            {n.tasks.map((t, i) => {
              const status = taskStatus?.(n.id, t.id);
              const y = n.y + PAD + LINE + 4 + i * (LINE + 4);
              return (
                <g class={status ? `task t-${status}` : 'task'} data-task={t.id}>
                  <rect x={n.x + 6} y={y} width={n.width - 12} height={LINE} rx="3" />
                  <text x={n.x + 12} y={y + 13}>
                    {status ? `${t.label} · ${status.replace('_', ' ')}` : t.label}
                  </text>
                </g>
              );
            })}
          </g>
        ))}
      </svg>
    </figure>
  );
};
