import type { FC } from 'hono/jsx';
import { listServices, listTaskHistory } from '../../core/registry';
import type { PageContext } from '../env';
import { Ago, Empty, Layout } from '../layout';
import { Pager } from '../list-controls';

const HISTORY = 10;

/** A page of services with their tasks, and each task's latest code-hash changes (read side by side). */
export async function loadServicesPage(ctx: PageContext, query: { cursor?: string }) {
  const page = await listServices({ db: ctx.db, input: { projectId: ctx.projectId, cursor: query.cursor, limit: 20 } });
  const taskIds = [...new Set(page.items.flatMap((s) => s.tasks.map((t) => t.id)))];
  const histories = await Promise.all(taskIds.map((taskId) => listTaskHistory({ db: ctx.db, input: { projectId: ctx.projectId, taskId, limit: HISTORY } })));
  return { query, page, history: new Map(taskIds.map((id, i) => [id, histories[i]!.items])) };
}

type Data = Awaited<ReturnType<typeof loadServicesPage>>;

const hash = (value: string | null) => (value ? <code title={value}>{value.slice(0, 12)}</code> : <span class="muted">none</span>);

export const ServicesPage: FC<{ data: Data; csrf: string }> = ({ data, csrf }) => (
  <Layout title="Services" csrf={csrf}>
    <h1>Services and tasks</h1>
    {data.page.items.length === 0 && <Empty>No worker has registered yet: workers register with PUT /v1/services/{'{id}'}.</Empty>}
    {data.page.items.map((s) => (
      <section data-service={s.id}>
        <h2>{s.id}</h2>
        <p class="muted">
          {`${s.status} · version ${s.version ?? '—'} · last seen `}
          <Ago at={s.lastSeenAt} />
        </p>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>Task</th>
                <th>Code hash</th>
                <th class="opt">Attempts / timeout</th>
                <th>{`Code-hash history (newest ${HISTORY})`}</th>
              </tr>
            </thead>
            <tbody>
              {s.tasks.map((t) => (
                <tr data-task={t.id}>
                  <td>{t.id}</td>
                  <td>{hash(t.codeHash)}</td>
                  <td class="opt">{`${t.maxAttempts} / ${t.timeoutSeconds ?? '—'} s`}</td>
                  <td>
                    <ol>
                      {(data.history.get(t.id) ?? []).map((h) => (
                        <li>
                          {hash(h.previousHash)} → {hash(h.newHash)} <span class="muted">{`by ${h.serviceId}`}</span> <Ago at={h.changedAt} />
                        </li>
                      ))}
                    </ol>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    ))}
    <Pager path="/console/services" cursor={data.query.cursor} nextCursor={data.page.nextCursor} />
  </Layout>
);
