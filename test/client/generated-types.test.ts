/**
 * The client's types cannot drift from the API: the checked-in functions/client/generated/openapi.ts
 * must be exactly what `npm run client:generate` makes from the /openapi.json the app serves now,
 * and every operation of that document must have a name in the client's resource map.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_FILE, clientTypesSource } from '../../functions/client/generate';
import { resources } from '../../functions/client/resources';
import { testApi } from '../support/api';

describe('the generated client types', () => {
  it('match the served /openapi.json (else run `npm run client:generate`)', { timeout: 60_000 }, async () => {
    const api = await testApi();
    const document = (await api.call('GET', '/openapi.json')).body;
    const expected = await clientTypesSource(document);
    const actual = readFileSync(GENERATED_FILE, 'utf8');
    // A plain equality first: a diff of 4,000 lines is no help, the command is.
    if (actual !== expected) {
      const a = actual.split('\n');
      const e = expected.split('\n');
      const line = e.findIndex((text, i) => text !== a[i]);
      expect.fail(
        `functions/client/generated/openapi.ts is out of date (first difference at line ${line + 1}: ${JSON.stringify(e[line])}): run \`npm run client:generate\``,
      );
    }

    const operationIds = Object.values(document.paths as Record<string, Record<string, { operationId?: string }>>)
      .flatMap((item) => Object.values(item).map((operation) => operation.operationId))
      .filter((id): id is string => typeof id === 'string');
    const named = new Set(Object.values(resources).flatMap((methods) => Object.values(methods) as string[]));
    expect(
      operationIds.filter((id) => !named.has(id)),
      'operations without a method in functions/client/resources.ts',
    ).toEqual([]);
  });
});
