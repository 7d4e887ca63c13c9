/// <reference path="./.sst/platform/config.d.ts" />
// Deployment (DESIGN §9) lives in infra/*.ts. SST's platform types are installed separately, so
// this file is outside `npm run typecheck`.
export default $config({
  app(input) {
    return {
      name: 'pipestore',
      home: 'aws',
      removal: input?.stage === 'production' ? 'retain' : 'remove',
    };
  },
  async run() {},
});
