/**
 * Finding pipeline files and hashing their source without evaluating them.
 *
 * Which files: every *.ts, *.mts, *.js and *.mjs under the directory, recursively, except
 * declaration files (*.d.ts), tests (*.test.*, *.spec.*), node_modules and any file or directory
 * whose name starts with "." or "_" (the place for shared helpers: `_stages.ts`).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { sha256Hex } from '../../core/hashing';

const PIPELINE_FILE = /\.(?:ts|mts|js|mjs)$/;
const NOT_A_PIPELINE = /\.d\.m?ts$|\.(?:test|spec)\.m?[jt]s$/;

export interface SourceFile {
  /** Absolute path, for loading. */
  path: string;
  /** Relative to the synced directory with "/" separators: how files are named in reports. */
  file: string;
  sourceHash: string;
}

export async function findPipelineFiles(dir: string): Promise<SourceFile[]> {
  const root = resolve(dir);
  const files: SourceFile[] = [];
  // A walk of our own rather than readdir({ recursive }): skipped directories (node_modules,
  // .git) are never entered, however large they are.
  const walk = async (relativeDir: string): Promise<void> => {
    for (const entry of await readdir(join(root, relativeDir), { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name.startsWith('_') || entry.name === 'node_modules') continue;
      const file = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(file);
      else if (entry.isFile() && PIPELINE_FILE.test(entry.name) && !NOT_A_PIPELINE.test(entry.name)) {
        const path = join(root, ...file.split('/'));
        files.push({ path, file, sourceHash: sourceHash(path) });
      }
    }
  };
  await walk('');
  return files.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/**
 * SHA-256 of the file's text. When the file imports local modules (`./_stages`), their texts are
 * folded in, recursively: editing a shared helper must re-evaluate the pipelines built from it,
 * since skipping relies on "same hash, same pipeline". Imports are found by a textual scan, so a
 * computed specifier (`import(\`./${x}\`)`) is not seen; `sync --force` evaluates everything.
 */
export function sourceHash(path: string): string {
  const text = readFileSync(path, 'utf8');
  const deps = [...localImports(path, new Set([path]))].sort();
  if (!deps.length) return sha256Hex(text);
  // Paths relative to the file: a checkout elsewhere (CI, a colleague's laptop) hashes the same.
  const named = deps.map((dep) => `${relative(dirname(path), dep).split(sep).join('/')}\0${readFileSync(dep, 'utf8')}`);
  return sha256Hex([text, ...named].join('\0'));
}

// `from './x'`, `import './x'`, `import('./x')`, `export * from './x'`: relative specifiers only.
const IMPORT = /(?:\bfrom|\bimport)\s*\(?\s*(['"])(\.{1,2}\/[^'"\n]+)\1/g;

function localImports(path: string, seen: Set<string>): Set<string> {
  const found = new Set<string>();
  for (const match of readFileSync(path, 'utf8').matchAll(IMPORT)) {
    const dep = resolveLocal(dirname(path), match[2]!);
    if (!dep || seen.has(dep)) continue;
    seen.add(dep);
    found.add(dep);
    for (const nested of localImports(dep, seen)) found.add(nested);
  }
  return found;
}

/** The file a relative specifier names, the way TypeScript-aware loaders find it (`./x.js` may be x.ts). */
function resolveLocal(from: string, specifier: string): string | undefined {
  const base = resolve(from, specifier);
  const candidates = [
    base,
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.mjs$/, '.mts'),
    ...['.ts', '.mts', '.js', '.mjs', '.json'].map((ext) => base + ext),
    ...['index.ts', 'index.mts', 'index.js', 'index.mjs'].map((index) => join(base, index)),
  ];
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
}
