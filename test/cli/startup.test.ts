/**
 * Startup cost: every command is declared up front (for --help and parsing) but its implementation
 * is imported only when it runs, so `pipestore --help` does not load the database layer, the
 * domain or the other commands. Checked on the modules a real CLI process resolves.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from './support/run-cli';

const RECORDER = pathToFileURL(fileURLToPath(new URL('./support/record-imports.mjs', import.meta.url))).href;
const dir = mkdtempSync(join(tmpdir(), 'pipestore-cli-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `node_modules/@scope/name/…` -> `@scope/name`, `node_modules/name/…` -> `name`. */
const packageOf = (file: string) =>
  file
    .split('/')
    .slice(1, file.startsWith('node_modules/@') ? 3 : 2)
    .join('/');

/** Runs the CLI and returns its exit code with the files of this repository it loaded (outside node_modules). */
async function loadedBy(args: string[], env: Record<string, string> = {}) {
  const out = join(dir, `${args.join('-').replace(/\W+/g, '_')}.txt`);
  const result = await runCli(args, { ...env, NODE_OPTIONS: `--import ${RECORDER}`, RECORD_IMPORTS_TO: out });
  const urls = [
    ...new Set(
      readFileSync(out, 'utf8')
        .split('\n')
        .filter((u) => u.startsWith('file:')),
    ),
  ];
  const files = urls.map((u) => relative(REPO_ROOT, fileURLToPath(u)));
  return {
    code: result.code,
    own: files.filter((f) => !f.startsWith('node_modules/') && !f.startsWith('..')).sort(),
    packages: [...new Set(files.filter((f) => f.startsWith('node_modules/')).map(packageOf))],
  };
}

describe('CLI startup', { timeout: 60_000 }, () => {
  it('--help loads the command declarations only', async () => {
    const { code, own, packages } = await loadedBy(['--help']);
    expect(code).toBe(0);
    // The config's defaults module (no imports) is a declaration too.
    const declarations = /^functions\/(log\.ts|config\.ts|core\/cleanup-defaults\.ts|cli\/(bin\.mjs|main\.ts|exit-codes\.ts|options\.ts|commands\/\w+\.ts))$/;
    expect(own.filter((f) => !declarations.test(f))).toEqual([]);
    expect(packages.filter((p) => ['drizzle-orm', 'zod', 'pg', '@electric-sql/pglite', '@hono/zod-openapi'].includes(p))).toEqual([]);
  });

  it('a command loads its own implementation, not the others', async () => {
    // Refused before touching the database, but only by the implementation.
    const { code, own } = await loadedBy(['db', 'reset'], { DATABASE_URL: 'pglite:memory' });
    expect(code).toBe(2);
    expect(own).toContain('functions/cli/actions/db.ts');
    expect(own.filter((f) => /^functions\/cli\/(actions\/(sync|transfer)|sync|transfer)\b/.test(f))).toEqual([]);
  });
});
