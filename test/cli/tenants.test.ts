/**
 * `pipestore projects …` and `pipestore keys …` as an operator runs them (the CLI's main() in this
 * process, streams and exit code as a shell sees them; the README test runs the real binary) on a fresh
 * embedded store (and, with TEST_DATABASE_URL, a scratch PostgreSQL database). Outputs are what a
 * script captures: the id or the key alone on stdout, one JSON document with --json.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { authenticateApiKey } from '../../functions/core/projects';
import { type CliTarget, cliTargets } from './support/targets';
import { jsonOf } from './support/run-cli';

const targets = cliTargets('cli_tenants');

// About ten commands, each opening the store: seconds idle, many more beside a full CPU load.
describe.each(targets)('pipestore projects and keys on %s', { timeout: 300_000 }, (_, makeTarget) => {
  let target: CliTarget;
  afterAll(() => target?.drop());
  const cli = (...args: string[]) => target.cli(...args);

  /** Whether the store accepts the key, checked in-process between CLI runs. */
  const keyWorks = (key: string) => target.withDb(async ({ db }) => (await authenticateApiKey({ db, input: { key } })) !== undefined);

  it('creates and lists projects, creates a key shown once, lists keys without it, revokes it', async () => {
    target = await makeTarget();
    expect((await cli('db', 'migrate')).code).toBe(0);

    const created = await cli('projects', 'create', 'demo');
    expect(created.code).toBe(0);
    const projectId = created.stdout.trim();
    expect(projectId).toMatch(/^proj_[0-9a-z]{26}$/);
    const second = jsonOf(await cli('--json', 'projects', 'create', 'other'));
    expect(second).toMatchObject({ id: expect.stringMatching(/^proj_/), name: 'other', revision: 1 });

    const listed = jsonOf(await cli('projects', 'list', '--json'));
    expect(listed.map((p: { id: string }) => p.id)).toEqual([projectId, second.id]);

    const keyRun = await cli('keys', 'create', '--project', projectId, '--name', 'ci');
    expect(keyRun.code).toBe(0);
    const key = keyRun.stdout.trim();
    expect(key).toMatch(/^ps_[A-Za-z0-9_-]{43}$/);
    expect(keyRun.stderr).toContain('shown only now');
    expect(await keyWorks(key)).toBe(true);

    const keys = jsonOf(await cli('keys', 'list', '--project', projectId, '--json'));
    expect(keys).toEqual([expect.objectContaining({ projectId, name: 'ci', prefix: key.slice(0, 10), lastFour: key.slice(-4), revokedAt: null })]);
    const human = await cli('keys', 'list', '--project', projectId);
    expect(human.stdout).toContain(keys[0].id);
    expect(human.stdout).toContain('active');
    expect(human.stdout + JSON.stringify(keys)).not.toContain(key);

    const revoked = await cli('keys', 'revoke', keys[0].id, '--json');
    expect(revoked.code).toBe(0);
    expect(jsonOf(revoked)).toMatchObject({ id: keys[0].id, projectId, revokedAt: expect.any(String) });
    expect(await keyWorks(key)).toBe(false);
  });

  it('names an unknown project or key and exits 2; refuses a bad expiry before connecting', async () => {
    target ??= await makeTarget();
    const unknownProject = await cli('keys', 'create', '--project', 'proj_missing');
    expect(unknownProject).toMatchObject({ code: 2, stdout: '' });
    expect(unknownProject.stderr).toBe('pipestore: project "proj_missing" was not found\n');
    const unknownKey = await cli('keys', 'revoke', 'key_missing');
    expect(unknownKey.code).toBe(2);
    expect(unknownKey.stderr).toContain('key_missing');
    const badExpiry = await cli('keys', 'create', '--project', 'proj_x', '--expires-at', 'tomorrow');
    expect(badExpiry.code).toBe(2);
    expect(badExpiry.stderr).toContain('--expires-at');
  });
});
