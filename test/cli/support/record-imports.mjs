// `node --import ./record-imports.mjs …` with RECORD_IMPORTS_TO=<file>: appends the URL of every
// module the process resolves to that file, one a line (see test/cli/startup.test.ts).
import { register } from 'node:module';

register(new URL('./record-imports-hooks.mjs', import.meta.url), { data: { out: process.env.RECORD_IMPORTS_TO } });
