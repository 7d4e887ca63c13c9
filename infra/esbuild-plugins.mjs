/**
 * esbuild plugins for the Lambda bundles, used by `npm run build` (infra/build.ts) and by SST on
 * deploy (`nodejs.plugins` points at this file, which must export the array as its default).
 *
 * zod's namespace (`z`) re-exports every locale's error messages, 40-odd modules; esbuild cannot
 * drop the unused ones because `z` is used as an object. We only ever use English (zod's default,
 * configured by zod itself from `locales/en.js`), so the locale index is replaced by one that
 * exports English alone. This takes about a third of what a cold start loads off it.
 */
export const englishOnlyZodLocales = {
  name: 'zod-english-only-locales',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";\n',
      loader: 'js',
    }));
  },
};

export default [englishOnlyZodLocales];
