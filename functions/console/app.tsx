/**
 * The web console: server-rendered pages (Hono JSX) over the same core operations and tenant
 * scoping as the API. Built by the API's app factory on the first /console request (a dynamic
 * import, so the API's cold start does not load it) and, on AWS, by its own function behind the
 * /console routes (infra/console.ts).
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { requestId } from 'hono/request-id';
import { Store } from '../store/store';
import { useCursorSecret } from '../core/pagination';
import { toProblem } from '../api/problem';
import { log } from '../log';
import * as actions from './actions';
import { assetByPath } from './assets';
import type { ConsoleDependencies, ConsoleEnv, PageContext } from './env';
import { DlqPage, loadDlqPage } from './pages/dlq';
import { ErrorPage } from './pages/errors';
import { PipelinePage, asRunStatus, loadPipelinePage } from './pages/pipeline';
import { PipelineListPage, loadPipelineList } from './pages/pipelines';
import { RunPage, loadRunPage } from './pages/run';
import { RunListPage, asTrigger, loadRunList } from './pages/runs';
import { ServicesPage, loadServicesPage } from './pages/services';
import { VersionDiffPage, loadVersionDiffPage } from './pages/version-diff';
import { SignInPage } from './pages/sign-in';
import { SIGN_IN_CSRF_COOKIE, consoleSecurityHeaders, consolePath, sameOrigin, signInCsrfToken, tokensMatch, FORM_TOKEN_FIELD } from './security';
import { requireSession, signIn, signOut, verifyForm } from './session';
import { getCookie } from 'hono/cookie';

type C = Context<ConsoleEnv>;

const render = async (c: C, page: JSX.Element, status: 200 | 400 | 401 | 403 | 404 | 500 | 503 = 200) =>
  c.html(`<!doctype html>${await page.toString()}`, status);

const pageContext = (c: C): PageContext => {
  const { projectId } = c.get('session');
  return { db: c.get('database').db, store: c.get('store').project(projectId), projectId };
};

const query = (c: C, name: string) => c.req.query(name) || undefined;

// Path parameters that could never name a stored row (control characters, NUL, absurd lengths)
// are a 404 before any query: Postgres text cannot even hold some of them.
const PLAIN = /^[\x21-\x7e]{1,200}$/;
const param = (c: C, name: string) => {
  const value = c.req.param(name) ?? '';
  return PLAIN.test(value) ? value : undefined;
};

const notFoundPage = (c: C) =>
  render(
    c,
    <ErrorPage
      status={404}
      title="Not found"
      detail="There is nothing here in this project: the link may be old, or the thing was deleted."
      requestId={c.get('requestId')}
      csrf={c.get('session')?.csrf}
    />,
    404,
  );

export function createConsoleApp({ database, config, cache }: ConsoleDependencies) {
  const cursorSecret = config.cursorSecret ?? config.adminToken;
  if (cursorSecret !== undefined) useCursorSecret(cursorSecret);
  const app = new Hono<ConsoleEnv>();
  app.use(requestId());
  app.use(consoleSecurityHeaders);
  app.use(async (c, next) => {
    c.set('database', database);
    c.set('config', config);
    c.set('store', Store.over(cache, database.db));
    await next();
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  });

  // Assets: content-hashed names, so they never change and may be cached for a year.
  app.get('/console/assets/:file', (c) => {
    const asset = assetByPath.get(c.req.path);
    if (!asset) return c.text('not found', 404);
    if (c.req.header('If-None-Match') === asset.etag) return c.body(null, 304);
    return c.body(asset.body, 200, {
      'Content-Type': asset.type,
      'Cache-Control': 'public, max-age=31536000, immutable',
      ETag: asset.etag,
    });
  });

  app.use('/console/*', bodyLimit({ maxSize: 300 * 1024, onError: (c) => c.text('The form is too large.', 413) }));
  app.get('/console/sign-in', (c) => render(c, <SignInPage csrf={signInCsrfToken(c)} notice={query(c, 'notice')} next={consolePath(query(c, 'next'))} />));
  app.post('/console/sign-in', async (c) => {
    const form = await c.req.parseBody();
    const token = form[FORM_TOKEN_FIELD];
    if (!sameOrigin(c) || !tokensMatch(typeof token === 'string' ? token : undefined, getCookie(c, SIGN_IN_CSRF_COOKIE))) {
      return render(
        c,
        <ErrorPage
          status={403}
          title="Refused"
          detail="This sign-in did not come from this console's sign-in page. Open the sign-in page and try again."
          requestId={c.get('requestId')}
        />,
        403,
      );
    }
    const key = typeof form.key === 'string' ? form.key.trim() : '';
    const next = consolePath(typeof form.next === 'string' ? form.next : undefined);
    if (key && /^[\x21-\x7e]{1,512}$/.test(key) && (await signIn(c, key))) return c.redirect(next ?? '/console', 303);
    return render(c, <SignInPage csrf={signInCsrfToken(c)} notice="bad-key" next={next} />, 401);
  });

  // '/console/*' matches '/console' too: one registration, one session read per request.
  app.use('/console/*', requireSession);
  app.use('/console/*', verifyForm);
  app.post('/console/sign-out', async (c) => {
    await signOut(c);
    return c.redirect('/console/sign-in?notice=signed-out', 303);
  });

  const notice = (c: C) => query(c, 'notice');
  const csrf = (c: C) => c.get('session').csrf;

  app.get('/console', async (c) => {
    const data = await loadPipelineList(pageContext(c), { q: query(c, 'q'), label: query(c, 'label'), cursor: query(c, 'cursor') });
    return render(c, <PipelineListPage data={data} csrf={csrf(c)} notice={notice(c)} />);
  });
  app.get('/console/pipelines/:name', async (c) => {
    const name = param(c, 'name');
    if (!name) return notFoundPage(c);
    const version = Number(query(c, 'version'));
    const data = await loadPipelinePage(pageContext(c), {
      name,
      status: asRunStatus(query(c, 'status')),
      cursor: query(c, 'cursor'),
      version: Number.isInteger(version) && version > 0 && version <= 2_147_483_647 ? version : undefined,
    });
    return render(c, <PipelinePage data={data} csrf={csrf(c)} notice={notice(c)} />);
  });
  app.get('/console/pipelines/:name/diff', async (c) => {
    const name = param(c, 'name');
    if (!name) return notFoundPage(c);
    const data = await loadVersionDiffPage(pageContext(c), { name, from: query(c, 'from'), to: query(c, 'to') });
    return render(c, <VersionDiffPage data={data} csrf={csrf(c)} />);
  });
  app.post('/console/pipelines/:name/activate', (c) => (param(c, 'name') ? actions.activate(c, param(c, 'name')!) : notFoundPage(c)));
  app.post('/console/pipelines/:name/schedule/pause', (c) => (param(c, 'name') ? actions.setSchedule(c, param(c, 'name')!, 'pause') : notFoundPage(c)));
  app.post('/console/pipelines/:name/schedule/resume', (c) => (param(c, 'name') ? actions.setSchedule(c, param(c, 'name')!, 'resume') : notFoundPage(c)));
  app.post('/console/pipelines/:name/runs', (c) => (param(c, 'name') ? actions.triggerRun(c, param(c, 'name')!) : notFoundPage(c)));
  app.get('/console/runs', async (c) => {
    const data = await loadRunList(pageContext(c), {
      pipeline: query(c, 'pipeline'),
      status: asRunStatus(query(c, 'status')),
      trigger: asTrigger(query(c, 'trigger')),
      label: query(c, 'label'),
      since: query(c, 'since'),
      cursor: query(c, 'cursor'),
    });
    return render(c, <RunListPage data={data} csrf={csrf(c)} />);
  });
  app.get('/console/runs/:id', async (c) => {
    const id = param(c, 'id');
    if (!id) return notFoundPage(c);
    return render(c, <RunPage data={await loadRunPage(pageContext(c), { id })} csrf={csrf(c)} notice={notice(c)} />);
  });
  app.post('/console/runs/:id/cancel', (c) => (param(c, 'id') ? actions.cancel(c, param(c, 'id')!) : notFoundPage(c)));
  app.get('/console/dlq', async (c) =>
    render(c, <DlqPage data={await loadDlqPage(pageContext(c), { cursor: query(c, 'cursor') })} csrf={csrf(c)} notice={notice(c)} />),
  );
  app.post('/console/dlq/:id/replay', (c) => (param(c, 'id') ? actions.replay(c, param(c, 'id')!) : notFoundPage(c)));
  app.post('/console/dlq/:id/delete', (c) => (param(c, 'id') ? actions.remove(c, param(c, 'id')!) : notFoundPage(c)));
  app.get('/console/services', async (c) =>
    render(c, <ServicesPage data={await loadServicesPage(pageContext(c), { cursor: query(c, 'cursor') })} csrf={csrf(c)} />),
  );

  app.notFound((c) => notFoundPage(c));
  app.onError((err, c) => {
    const p = toProblem(err);
    if (p.status === 404) return notFoundPage(c);
    if (p.status >= 500) {
      log.error('console request failed', {
        requestId: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        status: p.status,
        error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err),
      });
    }
    const status = p.status >= 500 ? (p.status === 503 ? 503 : 500) : 400;
    const detail =
      status === 503
        ? 'The database is unreachable right now. Try again in a few seconds.'
        : status === 500
          ? 'Something went wrong on our side. Quote the request id below when you report it.'
          : p.detail;
    return render(
      c,
      <ErrorPage
        status={status}
        title={status === 400 ? 'Bad request' : 'Error'}
        detail={detail}
        requestId={c.get('requestId')}
        csrf={c.get('session')?.csrf}
      />,
      status,
    );
  });
  return app;
}
