import type { FC } from 'hono/jsx';
import { listDlq } from '../../core/dlq';
import type { PageContext } from '../env';
import { ActionButton, Ago, Empty, Json, Layout, Notice, ShortId } from '../layout';
import { Pager } from '../list-controls';

export async function loadDlqPage(ctx: PageContext, query: { cursor?: string }) {
  return { query, page: await listDlq({ db: ctx.db, input: { projectId: ctx.projectId, cursor: query.cursor, limit: 50 } }) };
}

type Data = Awaited<ReturnType<typeof loadDlqPage>>;

export const DlqPage: FC<{ data: Data; csrf: string; notice?: string }> = ({ data, csrf, notice }) => (
  <Layout title="Dead letters" csrf={csrf}>
    <h1>Dead-letter queue</h1>
    <Notice code={notice} />
    {data.page.items.length === 0 ? (
      <Empty>The dead-letter queue is empty: task runs that fail with their attempts exhausted land here.</Empty>
    ) : (
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Entry</th>
              <th>Run</th>
              <th>Attempts</th>
              <th>Failed</th>
              <th>Error</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {data.page.items.map((e) => (
              <tr data-dlq={e.id}>
                <td>
                  <ShortId id={e.id} />
                </td>
                <td>
                  <ShortId id={e.runId} href={`/console/runs/${e.runId}`} />
                </td>
                <td>{e.attempts}</td>
                <td>
                  <Ago at={e.failedAt} />
                </td>
                <td>
                  <Json value={e.error} />
                </td>
                <td>
                  {e.replayTaskRunId ? (
                    <span>
                      {'Replayed '}
                      <Ago at={e.replayedAt} />
                    </span>
                  ) : (
                    <ActionButton action={`/console/dlq/${e.id}/replay`} csrf={csrf}>
                      Replay
                    </ActionButton>
                  )}{' '}
                  <ActionButton action={`/console/dlq/${e.id}/delete`} csrf={csrf} variant="danger">
                    Delete
                  </ActionButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    )}
    <Pager path="/console/dlq" cursor={data.query.cursor} nextCursor={data.page.nextCursor} />
  </Layout>
);
