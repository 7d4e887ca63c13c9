/**
 * The console in a real browser: headless Chromium (Debian's package) driven by playwright-core
 * against `npm start` on a fresh data directory. One browser for the file; each scenario its own
 * context (cookie jar). Screenshots go to CONSOLE_SCREENSHOTS (default: a temporary directory).
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, freePort, startServer, type StartedServer } from './server';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'browser-test-admin-token-0123456789';
const WAIT = 30_000; // a busy 2-core machine: generous, but bounded
const shots = process.env.CONSOLE_SCREENSHOTS ? resolve(process.env.CONSOLE_SCREENSHOTS) : mkdtempSync(join(tmpdir(), 'pipestore-shots-'));

let server: StartedServer;
let browser: Browser;
let call: ReturnType<typeof apiClient>;

async function newProject(name: string) {
  const project = await call('POST', '/v1/projects', ADMIN, { name });
  const key = await call('POST', `/v1/projects/${project.body.id}/keys`, ADMIN, {});
  return { id: project.body.id as string, key: key.body.key as string };
}

const definition = (task: string) => ({
  stages: [
    {
      id: 'fetch',
      tasks: [
        { id: 'download', task: 'http.get' },
        { id: 'schema', task: 'schema.load' },
      ],
    },
    { id: 'transform', dependsOn: ['fetch'], tasks: [{ id: 'clean', task }] },
    { id: 'report', dependsOn: ['transform'], tasks: [{ id: 'render', task: 'report.render' }] },
    { id: 'notify', dependsOn: ['fetch'], tasks: [{ id: 'slack', task: 'notify.slack' }] },
  ],
});

async function signIn(context: BrowserContext, key: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${server.url}/console`);
  expect(new URL(page.url()).pathname).toBe('/console/sign-in');
  await page.fill('input[name=key]', key);
  await Promise.all([page.waitForURL(`${server.url}/console`, { timeout: WAIT }), page.click('button[type=submit]')]);
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  mkdirSync(shots, { recursive: true });
  [server, browser] = await Promise.all([startServer(ADMIN), chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 60_000 })]);
  call = apiClient(server.url);
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the console in Chromium', { timeout: 180_000 }, () => {
  it('signs in, finds a pipeline, shows its graph, activates, triggers and watches a run, cancels, replays a DLQ entry, signs out', async () => {
    const project = await newProject('browser');
    const created = await call('POST', '/v1/pipelines', project.key, {
      name: 'nightly-report',
      description: 'Builds the nightly report',
      labels: { team: 'data' },
      schedule: '0 3 * * *',
      timezone: 'Europe/Berlin',
      definition: definition('clean.v1'),
    });
    expect(created.status).toBe(201);
    await call('POST', '/v1/pipelines', project.key, { name: 'hourly-sync', labels: { team: 'web' }, definition: definition('sync') });
    await call('POST', `/v1/pipelines/${created.body.id}/versions`, project.key, { definition: definition('clean.v2') });
    for (const status of ['succeeded', 'failed', 'succeeded']) {
      const run = await call('POST', `/v1/pipelines/${created.body.id}/runs`, project.key, {});
      await call('PATCH', `/v1/runs/${run.body.id}`, project.key, { status: 'running' });
      await call('PATCH', `/v1/runs/${run.body.id}`, project.key, { status });
    }

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signIn(context, project.key);
    await expect.poll(() => page.locator('tr[data-pipeline]').count()).toBe(2);
    await shot(page, 'console-pipelines');

    // Find it by name, open it: the graph is an SVG drawn on the server.
    await page.fill('input[name=q]', 'nightly');
    await Promise.all([page.waitForURL(/q=nightly/, { timeout: WAIT }), page.click('form[role=search] button[type=submit]')]);
    expect(await page.locator('tr[data-pipeline]').count()).toBe(1);
    await Promise.all([page.waitForURL(/\/console\/pipelines\/nightly-report$/, { timeout: WAIT }), page.click('a:text-is("nightly-report")')]);
    expect(await page.locator('.graph svg g.stage').count()).toBe(4);
    expect(await page.locator('.graph svg path.edge').count()).toBe(3);
    expect(await page.locator('figure.chart svg rect.bar').count()).toBe(3);
    expect(await page.locator('section[data-schedule-state]').getAttribute('data-schedule-state')).toBe('active');
    expect(await page.locator('ol.slots li').count()).toBe(5);
    await shot(page, 'console-pipeline');

    // Pause the schedule from its page: it shows paused and the API agrees; then resume it.
    await Promise.all([page.waitForURL(/notice=schedule-paused/, { timeout: WAIT }), page.click('section[data-schedule-state] button:text-is("Pause")')]);
    expect(await page.locator('section[data-schedule-state]').getAttribute('data-schedule-state')).toBe('paused');
    expect(await page.locator('section[data-schedule-state] .sched-off').textContent()).toBe('paused');
    expect(await page.locator('ol.slots').count()).toBe(0);
    const schedules = async () => (await call('GET', '/v1/schedules', project.key)).body.items[0];
    expect(await schedules()).toMatchObject({ pipelineName: 'nightly-report', enabled: false, nextRunAt: null });
    await Promise.all([page.waitForURL(/notice=schedule-resumed/, { timeout: WAIT }), page.click('section[data-schedule-state] button:text-is("Resume")')]);
    expect(await page.locator('section[data-schedule-state]').getAttribute('data-schedule-state')).toBe('active');
    expect((await schedules()).enabled).toBe(true);

    // Diff the two versions through the GET form, then come back.
    await Promise.all([page.waitForURL(/\/diff\?from=1&to=2/, { timeout: WAIT }), page.click('button:text-is("Compare")')]);
    expect(await page.locator('[data-diff-from="1"][data-diff-to="2"]').count()).toBe(1);
    expect(await page.locator('.line-diff .add').count()).toBeGreaterThan(0);
    await shot(page, 'console-diff');
    await page.goto(page.url().replace(/\/diff\?.*$/, ''));

    // Activate v2.
    await Promise.all([page.waitForURL(/notice=activated/, { timeout: WAIT }), page.click('button:text-is("Activate v2")')]);
    expect(await page.locator('[data-active-version]').textContent()).toBe('2');

    // Trigger a run with input, then watch it change state as a worker (here: the API) moves it.
    await page.fill('textarea[name=input]', '{"day": "2026-11-30"}');
    await Promise.all([page.waitForURL(/\/console\/runs\/run_/, { timeout: WAIT }), page.click('button:text-is("Trigger run")')]);
    const runId = page.url().split('/').pop()!.split('?')[0]!;
    expect((await call('GET', `/v1/runs/${runId}`, project.key)).body.trigger).toBe('console');
    expect(await page.locator('[data-run-status]').getAttribute('data-run-status')).toBe('pending');
    await call('PATCH', `/v1/runs/${runId}`, project.key, { status: 'running', currentStage: 'fetch' });
    await call('POST', `/v1/runs/${runId}/tasks`, project.key, { stageId: 'fetch', taskId: 'download', status: 'running' });
    await page.locator('[data-run-status="running"]').waitFor({ timeout: WAIT });
    await page.locator('[data-task-run]').first().waitFor({ timeout: WAIT });
    await shot(page, 'console-run');

    // Cancel while live.
    await Promise.all([page.waitForURL(/notice=cancelled/, { timeout: WAIT }), page.click('button:text-is("Cancel run")')]);
    expect(await page.locator('[data-run-status]').getAttribute('data-run-status')).toBe('cancelled');
    expect((await call('GET', `/v1/runs/${runId}`, project.key)).body.status).toBe('cancelled');

    // A task that failed its three attempts lands in the DLQ; replay it from the browser.
    const run = await call('POST', `/v1/pipelines/${created.body.id}/runs`, project.key, {});
    await call('PATCH', `/v1/runs/${run.body.id}`, project.key, { status: 'running' });
    for (let attempt = 1; attempt <= 3; attempt++) {
      const taskRun = await call('POST', `/v1/runs/${run.body.id}/tasks`, project.key, { stageId: 'fetch', taskId: 'download', attempt, status: 'running' });
      await call('PATCH', `/v1/task-runs/${taskRun.body.id}`, project.key, { status: 'failed', error: { message: 'HTTP 503 from upstream' } });
    }
    await page.goto(`${server.url}/console/dlq`);
    await shot(page, 'console-dlq');
    await Promise.all([page.waitForURL(/notice=replayed/, { timeout: WAIT }), page.click('button:text-is("Replay")')]);
    const entries = await call('GET', '/v1/dlq', project.key);
    expect(entries.body.items[0].replayTaskRunId).toMatch(/^tr_/);

    // Sign out: the console is closed again.
    await Promise.all([page.waitForURL(/\/console\/sign-in/, { timeout: WAIT }), page.click('button:text-is("Sign out")')]);
    await page.goto(`${server.url}/console`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    await context.close();
  });

  it('shows hostile text as text: no dialog, no injected element', async () => {
    const project = await newProject('xss');
    const evil = '<img src=x onerror=alert(1)>';
    await call('POST', '/v1/pipelines', project.key, { name: 'xss', description: evil, labels: { note: evil }, definition: definition('x') });
    const context = await browser.newContext();
    const page = await signIn(context, project.key);
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    for (const path of ['/console', '/console/pipelines/xss']) {
      await page.goto(`${server.url}${path}`);
      expect(await page.locator('main img').count()).toBe(0);
      expect(await page.locator('main').textContent()).toContain(evil);
    }
    expect(dialogs).toBe(0);
    await context.close();
  });

  it('refuses a cross-site form post', async () => {
    const project = await newProject('csrf');
    const pipeline = await call('POST', '/v1/pipelines', project.key, { name: 'target', definition: definition('x') });
    // The attacker: another origin on the same host (same site, so the Strict cookie is sent:
    // the Origin check and the missing token are what refuse it).
    const port = await freePort();
    const attacker: Server = createServer((_, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(
        `<form method="post" action="${server.url}/console/pipelines/target/runs"><input name="input" value="{}"><input name="_csrf" value="guess"><button>win a prize</button></form>`,
      );
    });
    await new Promise<void>((r) => attacker.listen(port, '127.0.0.1', r));
    try {
      const context = await browser.newContext();
      const page = await signIn(context, project.key);
      await page.goto(`http://127.0.0.1:${port}/`);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().includes('/console/pipelines/target/runs'), { timeout: WAIT }),
        page.click('button'),
      ]);
      expect(response.status()).toBe(403);
      const runs = await call('GET', `/v1/pipelines/${pipeline.body.id}/runs`, project.key);
      expect(runs.body.items).toHaveLength(0);
      await context.close();
    } finally {
      await new Promise((r) => attacker.close(r));
    }
  });

  it("answers another project's pipeline and run with the console's 404 page", async () => {
    const owner = await newProject('owner');
    const pipeline = await call('POST', '/v1/pipelines', owner.key, { name: 'private', definition: definition('x') });
    const run = await call('POST', `/v1/pipelines/${pipeline.body.id}/runs`, owner.key, {});
    const other = await newProject('other');
    const context = await browser.newContext();
    const page = await signIn(context, other.key);
    for (const path of [`/console/pipelines/private`, `/console/pipelines/${pipeline.body.id}`, `/console/runs/${run.body.id}`]) {
      const response = await page.goto(`${server.url}${path}`);
      expect(response!.status(), path).toBe(404);
      expect(await page.locator('h1').textContent()).toBe('Not found');
      expect(await page.locator('[data-request-id]').textContent()).toMatch(/^[0-9a-f-]{36}$/);
    }
    await context.close();
  });

  it('works with JavaScript off: sign in, trigger, cancel, sign out', async () => {
    const project = await newProject('nojs');
    await call('POST', '/v1/pipelines', project.key, { name: 'plain', definition: definition('x') });
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await signIn(context, project.key);
    await Promise.all([page.waitForURL(/\/console\/pipelines\/plain$/, { timeout: WAIT }), page.click('a:text-is("plain")')]);
    await Promise.all([page.waitForURL(/\/console\/runs\/run_/, { timeout: WAIT }), page.click('button:text-is("Trigger run")')]);
    expect(await page.locator('[data-run-status]').getAttribute('data-run-status')).toBe('pending');
    // No script: the copy buttons stay hidden, the page still says everything.
    expect(await page.locator('button[data-copy]').first().isHidden()).toBe(true);
    await Promise.all([page.waitForURL(/notice=cancelled/, { timeout: WAIT }), page.click('button:text-is("Cancel run")')]);
    expect(await page.locator('[data-run-status]').getAttribute('data-run-status')).toBe('cancelled');
    await Promise.all([page.waitForURL(/\/console\/sign-in/, { timeout: WAIT }), page.click('button:text-is("Sign out")')]);
    await context.close();
  });
});
