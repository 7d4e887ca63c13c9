import { diffLines } from 'diff';
import type { FC } from 'hono/jsx';
import { diffVersions, type VersionDiff } from '../../core/version-diff';
import { listVersions } from '../../core/versions';
import type { PageContext } from '../env';
import { Empty, Layout } from '../layout';
import { FilterForm, type FilterField } from '../list-controls';

export interface VersionDiffQuery {
  name: string;
  /** Version numbers or content hashes, as GET /v1/pipelines/{id}/versions/{a}/diff/{b} takes them. */
  from?: string;
  to?: string;
}

type VersionOption = { number: number; hash: string };

/**
 * Round trips: the pipeline from the memory layer, then its newest versions (for the form) and
 * the diff side by side. Refs that name no version of this pipeline (another project's hash
 * included) are the core's NotFoundError: the console's 404 page.
 */
export async function loadVersionDiffPage(ctx: PageContext, query: VersionDiffQuery) {
  const pipeline = await ctx.store.getPipeline(query.name);
  const [versions, diff] = await Promise.all([
    listVersions({ db: ctx.db, input: { projectId: ctx.projectId, pipelineId: pipeline.id, limit: 100 } }),
    query.from && query.to ? diffVersions({ db: ctx.db, projectId: ctx.projectId, pipelineIdOrName: pipeline.id, from: query.from, to: query.to }) : undefined,
  ]);
  return { query, pipeline, versions: versions.items.map(({ number, hash }) => ({ number, hash })), diff };
}

type Data = Awaited<ReturnType<typeof loadVersionDiffPage>>;

const versionField = (name: string, label: string, versions: VersionOption[], value: number | undefined): FilterField => ({
  name,
  label,
  value: value === undefined ? undefined : String(value),
  options: versions.map((v) => ({ value: String(v.number), text: `v${v.number} · ${v.hash.slice(0, 8)}` })),
});

/** Two version selects and a GET submit: works with JavaScript off, and the result is a link. */
export const VersionDiffForm: FC<{ base: string; versions: VersionOption[]; from?: number; to?: number }> = ({ base, versions, from, to }) =>
  versions.length < 2 ? (
    <p class="muted">One version so far: nothing to compare.</p>
  ) : (
    <FilterForm
      action={`${base}/diff`}
      submit="Compare"
      clearable={false}
      fields={[versionField('from', 'From', versions, from), versionField('to', 'To', versions, to)]}
    />
  );

const IdList: FC<{ title: string; changes: VersionDiff['stages'] }> = ({ title, changes }) => (
  <tr>
    <th>{title}</th>
    {(['added', 'removed', 'changed'] as const).map((kind) => (
      <td data-diff={`${title.toLowerCase()}-${kind}`}>
        {changes[kind].length === 0 ? (
          <span class="muted">—</span>
        ) : (
          changes[kind].map((id) => (
            <div>
              <code class={`change-${kind}`}>{id}</code>
            </div>
          ))
        )}
      </td>
    ))}
  </tr>
);

const value = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));

/** The canonical texts line by line, `+`/`-` marked; every line is escaped text. */
const LineDiff: FC<{ from: string; to: string }> = ({ from, to }) => (
  <pre class="line-diff">
    {diffLines(from, to).flatMap((part) =>
      part.value
        .replace(/\n$/, '')
        .split('\n')
        .map((line) => <span class={part.added ? 'add' : part.removed ? 'del' : 'same'}>{`${part.added ? '+' : part.removed ? '-' : ' '} ${line}`}</span>),
    )}
  </pre>
);

export const VersionDiffPage: FC<{ data: Data; csrf: string }> = ({ data, csrf }) => {
  const { pipeline, versions, diff } = data;
  const base = `/console/pipelines/${pipeline.name}`;
  return (
    <Layout title={`${pipeline.name}: compare versions`} csrf={csrf}>
      <h1>
        <a href={base}>{pipeline.name}</a>: compare versions
      </h1>
      <VersionDiffForm base={base} versions={versions} from={diff?.from.number} to={diff?.to.number} />
      {!diff ? (
        <Empty>Pick two versions to compare.</Empty>
      ) : (
        <section data-diff-from={String(diff.from.number)} data-diff-to={String(diff.to.number)}>
          <h2>{`v${diff.from.number} → v${diff.to.number}`}</h2>
          {diff.identical ? (
            <Empty>These versions are identical.</Empty>
          ) : (
            <>
              <div class="scroll">
                <table>
                  <thead>
                    <tr>
                      <th></th>
                      <th>Added</th>
                      <th>Removed</th>
                      <th>Changed</th>
                    </tr>
                  </thead>
                  <tbody>
                    <IdList title="Stages" changes={diff.stages} />
                    <IdList title="Tasks" changes={diff.tasks} />
                  </tbody>
                </table>
              </div>
              <h2>Changed fields</h2>
              <div class="scroll">
                <table>
                  <thead>
                    <tr>
                      <th>Change</th>
                      <th>Path</th>
                      <th>From</th>
                      <th>To</th>
                    </tr>
                  </thead>
                  <tbody>
                    {diff.changes.map((change) => (
                      <tr data-change={change.type}>
                        <td class={`change-${change.type}`}>{change.type}</td>
                        <td>
                          <code>{change.path}</code>
                        </td>
                        <td>
                          <code>{value(change.from)}</code>
                        </td>
                        <td>
                          <code>{value(change.to)}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
          <h2>Definitions, line by line</h2>
          <LineDiff from={diff.text.from} to={diff.text.to} />
        </section>
      )}
    </Layout>
  );
};
