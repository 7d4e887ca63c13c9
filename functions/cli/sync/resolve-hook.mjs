// Module resolution hooks (Node's module.register), installed by `pipestore sync` before it
// loads pipeline files. Plain JavaScript: hooks run on Node's loader thread, where no TypeScript
// loader applies to the hook module itself.

let sdkUrl;
let pipelineRoot;

export function initialize(data) {
  sdkUrl = data.sdkUrl;
  pipelineRoot = data.pipelineRoot;
}

const TS_OR_JS = /\.(?:ts|js)$/;

export async function resolve(specifier, context, nextResolve) {
  // Pipeline files live anywhere (another repository, a temp dir) and write
  // `import { definePipeline } from 'pipestore'`, which Node would look for in a node_modules
  // beside them: map it to the SDK of the CLI that is running, so files need no install step and
  // validate with the rules of the CLI that syncs them.
  if (specifier === 'pipestore') return { url: sdkUrl, shortCircuit: true };
  const resolved = await nextResolve(specifier, context);
  // A pipeline file is an ES module (it must `export default`), but outside a "type": "module"
  // package Node would run *.ts / *.js as CommonJS, and a CommonJS file cannot load the SDK (an
  // ES module) that it imports. So under the synced directory these are ES modules, always
  // (packages installed under it keep their own format).
  if (!resolved.url.startsWith(pipelineRoot) || resolved.format === 'module') return resolved;
  const { pathname } = new URL(resolved.url);
  if (TS_OR_JS.test(pathname) && !pathname.includes('/node_modules/')) {
    return { ...resolved, format: 'module' };
  }
  return resolved;
}
