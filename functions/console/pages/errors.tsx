import type { FC } from 'hono/jsx';
import { Layout } from '../layout';

/** Every console error: a page with the status, what to do, and the request id to quote (never a stack). */
export const ErrorPage: FC<{ status: number; title: string; detail: string; requestId: string; csrf?: string }> = (p) => (
  <Layout title={p.title} csrf={p.csrf}>
    <h1>{p.title}</h1>
    <p>{p.detail}</p>
    <p class="muted">
      {`Status ${p.status} · request id `}
      <code data-request-id>{p.requestId}</code>
    </p>
    <p>
      <a href="/console">Back to the pipelines</a>
    </p>
  </Layout>
);
