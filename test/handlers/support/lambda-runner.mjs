// A stand-in for the Lambda Node.js runtime, run as a fresh `node` process (child_process.fork):
// it imports one bundle, as the runtime does during init, then answers the invocations its parent
// sends over IPC with a Lambda-like context. Plain JavaScript on purpose: nothing (tsx, vitest)
// may be loaded into the process besides the bundle under test.
import { pathToFileURL } from 'node:url';

const [bundle, exportName = 'handler'] = process.argv.slice(2);
const initStarted = performance.now();
let handler;
try {
  handler = (await import(pathToFileURL(bundle).href))[exportName];
  if (typeof handler !== 'function') throw new Error(`${bundle} exports no function "${exportName}"`);
} catch (err) {
  process.send({ type: 'init-error', error: String(err?.stack ?? err) }, () => process.exit(1));
}

// CPU time this process has used (user + system, ms): unlike the clock, barely moved by what else
// the machine runs, so cold starts compare on a busy machine too.
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

if (handler) {
  // performance.now() counts from the start of this process: the first response's `at` is the
  // cold start as the benchmark defines it.
  process.send({ type: 'ready', initMs: performance.now() - initStarted, at: performance.now(), cpuMs: cpuMs() });
  process.on('message', async ({ id, event, timeoutMs = 30_000 }) => {
    const deadline = Date.now() + timeoutMs;
    const context = {
      awsRequestId: `req-${id}`,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local',
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local'}`,
      memoryLimitInMB: '1024',
      logGroupName: '/aws/lambda/local',
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    try {
      const result = await handler(event, context);
      process.send({ type: 'result', id, result, at: performance.now(), cpuMs: cpuMs() });
    } catch (err) {
      process.send({ type: 'result', id, error: { name: err?.name, message: String(err?.message ?? err) }, at: performance.now(), cpuMs: cpuMs() });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
