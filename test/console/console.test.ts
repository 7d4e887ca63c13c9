/**
 * The console over app.request: sign-in and sessions, every page, the forms, and the security
 * promises (CSP, escaping, CSRF, isolation, error pages). Browser behaviour is in browser.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, newPipeline, newProject, simpleDefinition, testApi, type TestApi } from '../support/api';
import { eq } from 'drizzle-orm';
import { consoleSessions } from '../../db/schema';
import { runInStatus } from '../support/runs';
import { ConsoleClient, signedIn } from './support';

let api: TestApi;
beforeAll(async () => {
  api = await testApi();
});

describe('sign-in and sessions', () => {
  it('redirects every console path to the sign-in page without a session', async () => {
    const browser = new ConsoleClient(api);
    const expected: Record<string, string> = {
      '/console': '/console/sign-in',
      '/console/runs?status=failed': '/console/sign-in?next=%2Fconsole%2Fruns%3Fstatus%3Dfailed',
      '/console/pipelines/x': '/console/sign-in?next=%2Fconsole%2Fpipelines%2Fx',
      '/console/anything/else': '/console/sign-in?next=%2Fconsole%2Fanything%2Felse',
      '/console/dlq': '/console/sign-in?next=%2Fconsole%2Fdlq',
    };
    for (const [path, location] of Object.entries(expected)) {
      const page = await browser.get(path);
      expect(page.status, path).toBe(303);
      expect(page.location, path).toBe(location);
    }
    const post = await browser.post('/console/runs/run_x/cancel', {}, { csrf: false });
    // A POST has no page to come back to: plain sign-in.
    expect(post.location).toBe('/console/sign-in');
  });

  it('opens the page a shared link asked for once signed in, and never a page off the console', async () => {
    const project = await newProject(api);
    const browser = new ConsoleClient(api);
    const asked = await browser.get('/console/runs?status=failed&since=24h');
    const signInPage = await browser.get(asked.location!);
    expect(signInPage.html).toContain('name="next" value="/console/runs?status=failed&amp;since=24h"');
    const signedIn = await browser.post('/console/sign-in', { key: project.key, next: '/console/runs?status=failed&since=24h' });
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe('/console/runs?status=failed&since=24h');

    for (const next of ['//evil.example/console', 'https://evil.example/console', '/console/../../evil', '/consolex', '/console/sign-out']) {
      const other = new ConsoleClient(api);
      await other.get('/console/sign-in');
      const res = await other.post('/console/sign-in', { key: project.key, next });
      expect(res.location, next).toBe('/console');
    }
  });

  it('signs in with a project key into an HttpOnly, SameSite=Strict session cookie (Secure except on loopback)', async () => {
    const project = await newProject(api);
    const browser = new ConsoleClient(api);
    await browser.signIn(project.key);
    const cookie = (await api.app.request('http://127.0.0.1/console/sign-in')).headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/);
    const remote = await api.app.request('https://console.example.com/console/sign-in');
    expect(remote.headers.get('set-cookie')).toMatch(/; Secure/);
    expect((await browser.get('/console')).status).toBe(200);
  });

  it('reads the session once per page, the pipelines list included', async () => {
    const { browser } = await signedIn(api);
    for (const path of ['/console', '/console/dlq']) {
      const before = api.database.roundTrips;
      expect((await browser.get(path)).status).toBe(200);
      // The session (with its key's state), then the page's one list: nothing else in an empty project.
      expect(api.database.roundTrips - before, path).toBe(2);
    }
  });

  it('stores only the hash of the session token, with an expiry', async () => {
    const { browser, project } = await signedIn(api);
    const token = browser.cookies.get('pipestore_console')!;
    const rows = await api.database.db.select().from(consoleSessions).where(eq(consoleSessions.projectId, project.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokenHash).not.toContain(token);
    expect(rows[0]!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]!.expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it('refuses an unknown key with 401 and no session', async () => {
    const browser = new ConsoleClient(api);
    const page = await browser.signIn('ps_not-a-key');
    expect(page.status).toBe(401);
    expect(page.html).toContain('unknown, revoked or expired');
    expect(browser.cookies.has('pipestore_console')).toBe(false);
  });

  it('ends the session on sign-out, and when the key is revoked', async () => {
    const { browser } = await signedIn(api);
    await browser.get('/console');
    const out = await browser.post('/console/sign-out', {});
    expect(out.location).toBe('/console/sign-in?notice=signed-out');
    expect((await browser.get('/console')).location).toBe('/console/sign-in');

    const second = await signedIn(api);
    expect((await second.browser.get('/console')).status).toBe(200);
    const revoked = await api.call('DELETE', `/v1/projects/${second.project.id}/keys/${second.project.keyId}`, { token: ADMIN_TOKEN });
    expect(revoked.status).toBe(204);
    expect((await second.browser.get('/console')).location).toBe('/console/sign-in');
  });
});

describe('pages', () => {
  it('lists pipelines with active version and last run, filtered by name or label', async () => {
    const { browser, project } = await signedIn(api);
    const a = await newPipeline(api, project.key, { name: 'alpha-report', labels: { team: 'data' } });
    await newPipeline(api, project.key, { name: 'beta-build', labels: { team: 'web' } });
    await runInStatus(api, project.key, a.id, 'running');
    const all = await browser.get('/console');
    expect(all.html).toContain('alpha-report');
    expect(all.html).toContain('beta-build');
    expect(all.html).toMatch(/class="status s-running"|class="status s-pending"/);
    const byName = await browser.get('/console?q=ALPHA');
    expect(byName.html).toContain('alpha-report');
    expect(byName.html).not.toContain('beta-build');
    const byLabel = await browser.get('/console?label=team%3Dweb');
    expect(byLabel.html).toContain('beta-build');
    expect(byLabel.html).not.toContain('alpha-report');
  });

  it('shows a pipeline: metadata, the definition as an SVG graph, versions, runs with a status filter', async () => {
    const { browser, project } = await signedIn(api);
    const pipeline = await newPipeline(api, project.key);
    await api.call('POST', `/v1/pipelines/${pipeline.id}/versions`, { token: project.key, body: { definition: simpleDefinition('-v2') } });
    const run = await runInStatus(api, project.key, pipeline.id, 'running');
    const page = await browser.get(`/console/pipelines/${pipeline.name}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('<svg');
    expect(page.html).toContain('data-stage="fetch"');
    expect(page.html).toContain('marker-end="url(#arrow)"');
    expect(page.html).toContain('data-version="2"');
    expect(page.html).toContain('Activate v2');
    expect(page.html).toContain(`data-run="${run.id}"`);
    const succeeded = await browser.get(`/console/pipelines/${pipeline.name}?status=succeeded`);
    // The table follows the filter; the chart above it keeps drawing every recent run.
    expect(succeeded.html).not.toContain(`data-run="${run.id}"`);
  });

  it('lists the project runs with the run-query filters and the status counts of the window', async () => {
    const { browser, project } = await signedIn(api);
    const a = await newPipeline(api, project.key, { labels: { team: 'data' } });
    const b = await newPipeline(api, project.key, { labels: { team: 'web' } });
    const failed = await runInStatus(api, project.key, a.id, 'failed');
    const running = await runInStatus(api, project.key, b.id, 'running');
    const all = await browser.get('/console/runs?since=24h');
    expect(all.html).toContain(failed.id);
    expect(all.html).toContain(running.id);
    expect(all.html).toContain('2 runs');
    expect(all.html).toContain('data-refresh');
    const byStatus = await browser.get('/console/runs?status=failed');
    expect(byStatus.html).toContain(failed.id);
    expect(byStatus.html).not.toContain(running.id);
    const byLabel = await browser.get('/console/runs?label=team%3Dweb');
    expect(byLabel.html).toContain(running.id);
    expect(byLabel.html).not.toContain(failed.id);
    const byPipeline = await browser.get(`/console/runs?pipeline=${a.name}&trigger=api`);
    expect(byPipeline.html).toContain(failed.id);
    expect(byPipeline.html).not.toContain(running.id);
    expect(byPipeline.html).toContain('1 runs');
  });

  it("counts a pipeline's runs from stats read for that pipeline only", async () => {
    const { project } = await signedIn(api);
    const a = await newPipeline(api, project.key);
    const b = await newPipeline(api, project.key);
    await runInStatus(api, project.key, a.id, 'failed');
    await runInStatus(api, project.key, b.id, 'running');
    await runInStatus(api, project.key, b.id, 'succeeded');
    const { runStats } = await import('../../functions/core/run-stats');
    const scoped = await runStats({ db: api.database.db, projectId: project.id, pipelineIds: [b.id] });
    expect(scoped.pipelines.map((p) => p.pipelineId)).toEqual([b.id]);
    expect(scoped.total.total).toBe(2);
    expect(scoped.total.counts).toMatchObject({ running: 1, succeeded: 1, failed: 0 });
    expect((await runStats({ db: api.database.db, projectId: project.id, pipelineIds: [] })).total.total).toBe(0);
    expect((await runStats({ db: api.database.db, projectId: project.id })).total.total).toBe(3);
  });

  it('activates a version conditionally on the revision shown, and says so when the page went stale', async () => {
    const { browser, project } = await signedIn(api);
    const pipeline = await newPipeline(api, project.key);
    await api.call('POST', `/v1/pipelines/${pipeline.id}/versions`, { token: project.key, body: { definition: simpleDefinition('-v2') } });
    await browser.get(`/console/pipelines/${pipeline.name}`);
    // Someone else changes the pipeline after the page was loaded.
    await api.call('PATCH', `/v1/pipelines/${pipeline.id}`, { token: project.key, body: { description: 'edited elsewhere' } });
    const stale = await browser.post(`/console/pipelines/${pipeline.name}/activate`, { version: '2', revision: String(pipeline.revision) });
    expect(stale.location).toContain('notice=activate-stale');
    expect((await browser.get(stale.location!)).html).toContain('changed since you loaded it');
    expect((await api.call('GET', `/v1/pipelines/${pipeline.id}`, { token: project.key })).body.activeVersion).toBe(1);

    const fresh = await browser.post(`/console/pipelines/${pipeline.name}/activate`, { version: '2', revision: String(pipeline.revision + 1) });
    expect(fresh.location).toContain('notice=activated');
    expect((await api.call('GET', `/v1/pipelines/${pipeline.id}`, { token: project.key })).body.activeVersion).toBe(2);
  });

  it('triggers a run with JSON input, shows it, and cancels it while live', async () => {
    const { browser, project } = await signedIn(api);
    const pipeline = await newPipeline(api, project.key);
    await browser.get(`/console/pipelines/${pipeline.name}`);
    const bad = await browser.post(`/console/pipelines/${pipeline.name}/runs`, { input: '{not json' });
    expect(bad.location).toContain('notice=bad-input');
    const created = await browser.post(`/console/pipelines/${pipeline.name}/runs`, { input: '{"branch":"main"}' });
    expect(created.status).toBe(303);
    const runId = created.location!.split('/').pop()!;
    const run = await api.call('GET', `/v1/runs/${runId}`, { token: project.key });
    expect(run.body.input).toEqual({ branch: 'main' });
    expect(run.body.trigger).toBe('console');
    const byApi = await api.call('POST', `/v1/pipelines/${pipeline.id}/runs`, { token: project.key, body: {} });
    expect(byApi.body.trigger).toBe('api');
    const page = await browser.get(created.location!);
    expect(page.html).toContain('data-run-status="pending"');
    expect(page.html).toContain('data-refresh="3"');
    expect(page.html).toContain('Cancel run');
    const cancelled = await browser.post(`/console/runs/${runId}/cancel`, {});
    expect(cancelled.location).toContain('notice=cancelled');
    const after = await browser.get(cancelled.location!);
    expect(after.html).toContain('data-run-status="cancelled"');
    expect(after.html).not.toContain('Cancel run');
    expect(after.html).not.toContain('data-refresh');
  });

  it('shows task runs by stage, replays and deletes DLQ entries, lists services with code-hash history', async () => {
    const { browser, project } = await signedIn(api);
    const pipeline = await newPipeline(api, project.key);
    const run = await runInStatus(api, project.key, pipeline.id, 'running');
    let taskRun: any;
    for (let attempt = 1; attempt <= 3; attempt++) {
      taskRun = await api.call('POST', `/v1/runs/${run.id}/tasks`, {
        token: project.key,
        body: { stageId: 'fetch', taskId: 'download', attempt, status: 'running' },
      });
      await api.call('PATCH', `/v1/task-runs/${taskRun.body.id}`, { token: project.key, body: { status: 'failed', error: { message: 'boom <b>' } } });
    }
    const runPage = await browser.get(`/console/runs/${run.id}`);
    expect(runPage.html).toContain('data-stage="fetch"');
    expect(runPage.html).toContain(taskRun.body.id);
    expect(runPage.html).toContain('boom &lt;b&gt;');

    const dlq = await browser.get('/console/dlq');
    const entryId = /data-dlq="([^"]+)"/.exec(dlq.html)![1]!;
    const replayed = await browser.post(`/console/dlq/${entryId}/replay`, {});
    expect(replayed.location).toContain('notice=replayed');
    const entry = await api.call('GET', `/v1/dlq/${entryId}`, { token: project.key });
    expect(entry.body.replayTaskRunId).toBeTruthy();
    await browser.get('/console/dlq');
    const deleted = await browser.post(`/console/dlq/${entryId}/delete`, {});
    expect(deleted.location).toContain('notice=deleted');
    expect((await api.call('GET', `/v1/dlq/${entryId}`, { token: project.key })).status).toBe(404);

    await api.call('PUT', '/v1/services/worker-a', { token: project.key, body: { tasks: [{ id: 'compile', codeHash: 'a'.repeat(64) }] } });
    await api.call('PUT', '/v1/services/worker-a', { token: project.key, body: { tasks: [{ id: 'compile', codeHash: 'b'.repeat(64) }] } });
    const services = await browser.get('/console/services');
    expect(services.html).toContain('data-service="worker-a"');
    expect(services.html).toContain('bbbbbbbbbbbb');
    expect(services.html).toContain('aaaaaaaaaaaa');
  });
});

describe('security', () => {
  it('sends CSP default-src self without inline script, frame-ancestors none, and no-store', async () => {
    const { browser } = await signedIn(api);
    const page = await browser.get('/console');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.html).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*\bsrc=)/);
    expect(page.html).not.toMatch(/\son[a-z]+="/);
  });

  it('shows a pipeline named <img src=x onerror=alert(1)> as text', async () => {
    const { browser, project } = await signedIn(api);
    const evil = '<img src=x onerror=alert(1)>';
    // Names are slugs, so the hostile text goes where free text is allowed.
    const pipeline = await newPipeline(api, project.key, { description: evil, labels: { [evil.slice(0, 60)]: evil } });
    for (const path of ['/console', `/console/pipelines/${pipeline.name}`]) {
      const page = await browser.get(path);
      expect(page.html).not.toContain(evil);
      expect(page.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    }
  });

  it('refuses a cross-site form post (foreign or missing Origin, or no token) and changes nothing', async () => {
    const { browser, project } = await signedIn(api);
    const pipeline = await newPipeline(api, project.key);
    await browser.get(`/console/pipelines/${pipeline.name}`);
    const foreign = await browser.post(`/console/pipelines/${pipeline.name}/runs`, {}, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    const noOrigin = await browser.post(`/console/pipelines/${pipeline.name}/runs`, {}, { origin: null });
    expect(noOrigin.status).toBe(403);
    const noToken = await browser.post(`/console/pipelines/${pipeline.name}/runs`, {}, { csrf: false });
    expect(noToken.status).toBe(403);
    const wrong = await browser.post(`/console/pipelines/${pipeline.name}/runs`, { _csrf: 'x'.repeat(43) });
    expect(wrong.status).toBe(403);
    const runs = await api.call('GET', `/v1/pipelines/${pipeline.id}/runs`, { token: project.key });
    expect(runs.body.items).toHaveLength(0);
    const signIn = await new ConsoleClient(api).post('/console/sign-in', { key: project.key, _csrf: 'y'.repeat(43) }, { csrf: false });
    expect(signIn.status).toBe(403);
  });

  it("gives another project's ids the console's 404 page, and forms on them change nothing", async () => {
    const owner = await signedIn(api);
    const other = await signedIn(api);
    const pipeline = await newPipeline(api, owner.project.key);
    const run = await runInStatus(api, owner.project.key, pipeline.id, 'running');
    for (const path of [
      `/console/pipelines/${pipeline.name}`,
      `/console/pipelines/${pipeline.id}`,
      `/console/runs/${run.id}`,
      `/console/runs?pipeline=${pipeline.name}`,
    ]) {
      const page = await other.browser.get(path);
      expect(page.status, path).toBe(404);
      expect(page.html).toContain('Not found');
      expect(page.html).toMatch(/data-request-id="true">[0-9a-f-]{36}</);
    }
    await other.browser.get('/console');
    expect((await other.browser.post(`/console/runs/${run.id}/cancel`, {})).status).toBe(404);
    expect((await api.call('GET', `/v1/runs/${run.id}`, { token: owner.project.key })).body.status).not.toBe('cancelled');
  });

  it('answers a bad cursor with an error page carrying the request id, not a stack', async () => {
    const { browser } = await signedIn(api);
    const page = await browser.get('/console/dlq?cursor=forged.cursor');
    expect(page.status).toBe(400);
    expect(page.html).toContain('request id');
    expect(page.html).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('assets', () => {
  it('serves content-hashed assets with a year-long immutable cache, and 304 on revalidation', async () => {
    const { browser } = await signedIn(api);
    const page = await browser.get('/console');
    const paths = [...page.html.matchAll(/(?:href|src)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(paths).toHaveLength(2);
    for (const path of paths) {
      expect(path).toMatch(/\.[0-9a-f]{12}\.(css|js)$/);
      const res = await api.app.request(`http://127.0.0.1${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const again = await api.app.request(`http://127.0.0.1${path}`, { headers: { 'If-None-Match': res.headers.get('etag')! } });
      expect(again.status).toBe(304);
    }
  });
});

describe('pipeline history, version diff and run chart', () => {
  const hostile = '<img src=x onerror=alert(1)>';

  it('shows the activation history: which key, when, from → to', async () => {
    const { browser, project } = await signedIn(api);
    const pipeline = await newPipeline(api, project.key);
    await api.call('POST', `/v1/pipelines/${pipeline.id}/versions`, { token: project.key, body: { definition: simpleDefinition('-v2') } });
    expect((await api.call('POST', `/v1/pipelines/${pipeline.id}/activate`, { token: project.key, body: { version: 2 } })).status).toBe(200);
    const page = await browser.get(`/console/pipelines/${pipeline.name}`);
    const rows = [...page.html.matchAll(/<tr data-activation="\d+">([\s\S]*?)<\/tr>/g)].map((m) => m[1]!);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows[0]).toContain('v1 → v2');
    expect(rows[0]).toContain(project.keyId);
    expect(rows.at(-1)).toContain('— → v1');
  });

  it('offers a GET form of two versions and renders the diff: stages, tasks, field paths and a line diff, all escaped', async () => {
    const { browser, project } = await signedIn(api);
    const v1 = simpleDefinition();
    const v2 = {
      stages: [
        { id: 'fetch', tasks: [{ id: 'download', task: 'http.get', config: { [hostile]: hostile } }] },
        { id: 'publish.v2', dependsOn: ['fetch'], tasks: [{ id: 'upload_all', task: 'upload' }] },
      ],
    };
    const pipeline = await newPipeline(api, project.key, { definition: v1 });
    await api.call('POST', `/v1/pipelines/${pipeline.id}/versions`, { token: project.key, body: { definition: v2 } });
    const page = await browser.get(`/console/pipelines/${pipeline.name}`);
    expect(page.html).toMatch(new RegExp(`<form class="filters" method="get" action="/console/pipelines/${pipeline.name}/diff">`));
    expect(page.html).toMatch(/<select name="from">[\s\S]*?<option value="1" selected="">/);

    const diff = await browser.get(`/console/pipelines/${pipeline.name}/diff?from=1&to=2`);
    expect(diff.status).toBe(200);
    expect(diff.html).toContain('data-diff-from="1" data-diff-to="2"');
    expect(diff.html).toMatch(/data-diff="stages-added">[\s\S]*?publish\.v2/);
    expect(diff.html).toMatch(/data-diff="stages-removed">[\s\S]*?build/);
    expect(diff.html).toMatch(/data-diff="tasks-added">[\s\S]*?publish\.v2\/upload_all/);
    expect(diff.html).toMatch(/data-diff="tasks-changed">[\s\S]*?fetch\/download/);
    expect(diff.html).toContain('$.stages[?(@.id==&quot;fetch&quot;)].tasks[?(@.id==&quot;download&quot;)].config');
    expect(diff.html).toMatch(/<span class="add">\+ +&quot;publish\.v2&quot;|<span class="add">\+ +&quot;id&quot;: &quot;publish\.v2&quot;/);
    expect(diff.html).toMatch(/<span class="del">- /);
    expect(diff.html).not.toContain(hostile);
    expect(diff.html).toContain('&lt;img src=x onerror=alert(1)&gt;');

    const same = await browser.get(`/console/pipelines/${pipeline.name}/diff?from=2&to=2`);
    expect(same.html).toContain('These versions are identical.');
    const bad = await browser.get(`/console/pipelines/${pipeline.name}/diff?from=x&to=2`);
    expect(bad.status).toBe(400);
    const missing = await browser.get(`/console/pipelines/${pipeline.name}/diff?from=1&to=9`);
    expect(missing.status).toBe(404);
  });

  it('escapes stage and task ids in the rendered diff, whatever the ids hold', async () => {
    // The API refuses such ids; the page must not rely on that.
    const { jsx } = await import('hono/jsx');
    const { VersionDiffPage } = await import('../../functions/console/pages/version-diff');
    const { diffDefinitions } = await import('../../functions/core/version-diff');
    const a = { stages: [{ id: 'plain', tasks: [{ id: 't', task: 'x' }] }] };
    const b = { stages: [{ id: hostile, tasks: [{ id: `</code>${hostile}`, task: 'x' }] }] };
    const changes = diffDefinitions(a as any, b as any);
    const text = (d: unknown) => `${JSON.stringify(d, null, 2)}\n`;
    const data = {
      query: { name: 'p' },
      pipeline: { name: 'p' },
      versions: [],
      diff: {
        pipelineId: 'pl_x',
        from: { number: 1, hash: 'a' },
        to: { number: 2, hash: 'b' },
        identical: false,
        ...changes,
        text: { from: text(a), to: text(b) },
      },
    };
    const html = await jsx(VersionDiffPage, { data: data as any, csrf: 't' }).toString();
    expect(html).not.toContain('<img');
    expect(html).not.toContain('</code><img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it("gives a diff naming another project's version or pipeline the console's 404 page", async () => {
    const owner = await signedIn(api);
    const other = await signedIn(api);
    const mine = await newPipeline(api, owner.project.key);
    await api.call('POST', `/v1/pipelines/${mine.id}/versions`, { token: owner.project.key, body: { definition: simpleDefinition('-v2') } });
    const theirs = await newPipeline(api, other.project.key, { definition: simpleDefinition('-theirs') });
    const theirVersion = await api.call('GET', `/v1/pipelines/${theirs.id}/versions/1`, { token: other.project.key });
    const foreignHash = await owner.browser.get(`/console/pipelines/${mine.name}/diff?from=1&to=${theirVersion.body.hash}`);
    expect(foreignHash.status).toBe(404);
    expect(foreignHash.html).toContain('Not found');
    expect(foreignHash.html).not.toContain(`${theirVersion.body.hash.slice(0, 12)}</code>`);
    const foreignPipeline = await other.browser.get(`/console/pipelines/${mine.name}/diff?from=1&to=2`);
    expect(foreignPipeline.status).toBe(404);
    expect(foreignPipeline.html).toMatch(/data-request-id="true">[0-9a-f-]{36}</);
  });

  it('draws the recent runs as an SVG chart of durations coloured by outcome, without script', async () => {
    const { browser, project } = await signedIn(api);
    const pipeline = await newPipeline(api, project.key);
    const done = await runInStatus(api, project.key, pipeline.id, 'succeeded');
    const failed = await runInStatus(api, project.key, pipeline.id, 'failed');
    const live = await runInStatus(api, project.key, pipeline.id, 'running');
    const page = await browser.get(`/console/pipelines/${pipeline.name}`);
    const chart = /<figure class="chart">([\s\S]*?)<\/figure>/.exec(page.html)![1]!;
    expect(chart).toContain('<svg');
    expect(chart).toMatch(new RegExp(`href="/console/runs/${done.id}"><rect class="bar b-succeeded"`));
    expect(chart).toMatch(new RegExp(`href="/console/runs/${failed.id}"><rect class="bar b-failed"`));
    expect(chart).toMatch(new RegExp(`href="/console/runs/${live.id}"><rect class="bar b-running"[^>]*height="3"`));
    expect(chart).toContain('not finished');
    expect(chart).not.toMatch(/<script|style=|\son[a-z]+=/);
    // A filtered page of runs still charts every recent run (read on its own then).
    const filtered = await browser.get(`/console/pipelines/${pipeline.name}?status=failed`);
    const filteredChart = /<figure class="chart">([\s\S]*?)<\/figure>/.exec(filtered.html)![1]!;
    expect(filteredChart.match(/<rect class="bar /g)).toHaveLength(3);
    const empty = await browser.get(`/console/pipelines/${(await newPipeline(api, project.key)).name}`);
    expect(empty.html).toContain('No runs to chart yet.');
  });
});
