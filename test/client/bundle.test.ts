/**
 * The client runs in a browser: bundled for the browser platform it pulls in no Node built-in and
 * no package, only its own modules, and stays small. The README states the size this measures.
 */
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/** Budget in gzipped bytes: the README's figure is ~3.4 kB; this leaves room to grow, not to bloat. */
const GZIP_BUDGET = 6_000;

describe('the client bundle', () => {
  it('is browser-safe, dependency-free and small', { timeout: 60_000 }, async () => {
    const result = await build({
      entryPoints: ['functions/client/index.ts'],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((file) => !file.startsWith('functions/client/'))).toEqual([]);
    expect(inputs).not.toContain('functions/client/generate.ts');
    const code = result.outputFiles[0]!.contents;
    const gzipped = gzipSync(code, { level: 9 }).length;
    process.stdout.write(`pipestore/client: ${code.length} bytes minified, ${gzipped} bytes gzipped\n`);
    expect(gzipped).toBeLessThan(GZIP_BUDGET);
  });
});
