/**
 * Loose types of SST's globals for the project-wide `npm run typecheck`, which sees infra/*.ts but
 * not SST's platform types (hundreds of MB, installed on demand). The real check of infra/ is
 * `npm run check:infra` (infra/tsconfig.json, against .sst/platform), which does not include this
 * file. test/infra/sst-config.test.ts stubs the same globals at run time.
 */
declare const $app: { name: string; stage: string };
declare const $dev: boolean;
declare const sst: any;
declare const aws: any;
