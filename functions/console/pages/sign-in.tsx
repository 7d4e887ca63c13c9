import type { FC } from 'hono/jsx';
import { CsrfField, Layout, Notice } from '../layout';

/** `next`: the console page asked for before signing in, opened once signed in (a shared link works). */
export const SignInPage: FC<{ csrf: string; notice?: string; next?: string }> = ({ csrf, notice, next }) => (
  <Layout title="Sign in">
    <section class="signin">
      <h1>Sign in to the console</h1>
      <Notice code={notice} />
      <form method="post" action="/console/sign-in">
        <CsrfField token={csrf} />
        {next && <input type="hidden" name="next" value={next} />}
        <label>
          Project API key
          <input name="key" type="password" autocomplete="current-password" required placeholder="ps_…" spellcheck={false} />
        </label>
        <p>
          <button type="submit" class="primary">
            Sign in
          </button>
        </p>
      </form>
      <p class="muted">
        A key comes from <code>npx pipestore keys create --project &lt;id&gt;</code> or <code>POST /v1/projects/{'{id}'}/keys</code> with the admin token.
        Revoking the key ends every console session opened with it.
      </p>
    </section>
  </Layout>
);
