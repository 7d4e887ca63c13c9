import type { Plugin } from 'esbuild';

export declare const englishOnlyZodLocales: Plugin;
declare const plugins: Plugin[];
export default plugins;
