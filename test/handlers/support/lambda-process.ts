/**
 * A bundled Lambda function in its own fresh `node` process (see lambda-runner.mjs), invoked with
 * events over IPC. The process gets only the environment given here (plus what Lambda itself
 * sets), never the test runner's, so a bundle that needs anything else fails as it would on AWS.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const RUNNER = fileURLToPath(new URL('./lambda-runner.mjs', import.meta.url));

export interface InvokeTiming<T> {
  result: T;
  /** The process's clock when it answered (0 = process start). */
  at: number;
  /** CPU time (user + system) the process had used when it answered. */
  cpuMs: number;
}

export interface LambdaProcess {
  /** Time the bundle's import (module init) took, inside the process. */
  initMs: number;
  invoke<T = unknown>(event: unknown, options?: { timeoutMs?: number }): Promise<T>;
  /** Same, with the process clock (ms since the process started) at which the result was sent. */
  invokeTimed<T = unknown>(event: unknown, options?: { timeoutMs?: number }): Promise<InvokeTiming<T>>;
  /** Everything the process printed so far (the functions log JSON lines). */
  output(): string;
  pid: number;
  stop(): Promise<void>;
}

export function lambdaEnv(name: string, env: Record<string, string | undefined>): Record<string, string> {
  const base: Record<string, string | undefined> = {
    TZ: 'UTC',
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_REGION: 'us-east-1',
    // The Lambda runtime provides the role's credentials; the local Data API does not check them.
    AWS_ACCESS_KEY_ID: 'AKIALOCALLAMBDA',
    AWS_SECRET_ACCESS_KEY: 'local-lambda-secret',
    LOG_LEVEL: 'info',
    ...env,
  };
  return Object.fromEntries(Object.entries(base).filter((e): e is [string, string] => e[1] !== undefined));
}

export async function startLambda(bundle: string, env: Record<string, string>, cwd?: string): Promise<LambdaProcess> {
  const child: ChildProcess = fork(RUNNER, [bundle], { env, cwd, execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  let nextId = 1;
  const pending = new Map<number, { resolve(v: InvokeTiming<unknown>): void; reject(e: Error): void }>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const ready = new Promise<number>((resolve, reject) => {
    child.on('message', (msg: any) => {
      if (msg.type === 'ready') resolve(msg.initMs);
      else if (msg.type === 'init-error') reject(new Error(`init failed: ${msg.error}`));
      else if (msg.type === 'result') {
        const waiter = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) waiter?.reject(Object.assign(new Error(msg.error.message), { name: msg.error.name }));
        else waiter?.resolve({ result: msg.result, at: msg.at, cpuMs: msg.cpuMs });
      }
    });
    child.once('exit', (code) => {
      const error = new Error(`lambda process exited with ${code}:\n${output}`);
      reject(error);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
  });
  const initMs = await ready;

  const invokeTimed = <T>(event: unknown, { timeoutMs = 30_000 } = {}) =>
    new Promise<InvokeTiming<T>>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as never, reject });
      child.send({ id, event, timeoutMs });
    });
  return {
    initMs,
    pid: child.pid!,
    invokeTimed,
    invoke: async (event, options) => (await invokeTimed(event, options)).result as never,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.disconnect();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
