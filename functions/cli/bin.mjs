#!/usr/bin/env node
// `npx pipestore`: the CLI is TypeScript; tsx's loader runs it without a build step.
import { register } from 'tsx/esm/api';

process.env.TZ ??= 'UTC';
register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
