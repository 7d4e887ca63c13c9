/**
 * The problem codes are a closed list (functions/core/problem-codes.ts): /openapi.json declares
 * exactly that list as the enum of Problem.code, and every code the source can answer with is in
 * it, with none listed that nothing produces. The source is read for the places a code is
 * written: `problem(status, '<code>'`, a domain error's code, and problem bodies built by hand.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROBLEM_CODES } from '../../functions/core/problem-codes';
import { testApi, type TestApi } from '../support/api';

const SOURCE = join(import.meta.dirname, '../../functions');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Every code literal the source writes where a problem code goes, with where it was found. */
function producedCodes(): Map<string, string> {
  const found = new Map<string, string>();
  const patterns = [
    /\bproblem\(\s*[\w.]+,\s*'([a-z_]+)'/g,
    // Domain errors: the classes that take their code first, and the codes the others fix.
    /new (?:StateConflictError|DomainError)\(\s*'([a-z_]+)'/g,
    /\bsuper\(\s*'([a-z_]+)'/g,
  ];
  for (const file of sourceFiles(SOURCE)) {
    const text = readFileSync(file, 'utf8');
    const local = [...patterns];
    // A problem body built by hand (no problem() at hand, e.g. the HTTP parser's answers).
    if (text.includes('pipestore.dev/problems/')) local.push(/\bcode: '([a-z_]+)'/g);
    for (const pattern of local) {
      for (const match of text.matchAll(pattern)) if (!found.has(match[1]!)) found.set(match[1]!, file.slice(SOURCE.length + 1));
    }
  }
  return found;
}

describe('problem codes', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi();
  });

  it('are declared in /openapi.json as the enum of Problem.code, exactly the list', async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    expect(doc.components.schemas.Problem.properties.code.enum).toEqual([...PROBLEM_CODES]);
  });

  it('include every code the source produces, and list none that nothing produces', () => {
    const produced = producedCodes();
    const listed = new Set<string>(PROBLEM_CODES);
    expect([...produced].filter(([code]) => !listed.has(code)).map(([code, file]) => `${code} (${file})`)).toEqual([]);
    expect(PROBLEM_CODES.filter((code) => !produced.has(code))).toEqual([]);
  });
});
