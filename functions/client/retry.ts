/**
 * When and how long to wait before trying a call again. The rules, so that a retry can never
 * duplicate work:
 * - 429 and 503 mean the server did not do the work: any call may be repeated, after Retry-After
 *   when the response gives one (never earlier), else after a jittered exponential backoff.
 * - A lost connection (no response) may mean the work was done: only calls whose repetition
 *   cannot change the outcome are repeated: GET and PUT, and POSTs of operations that declare
 *   Idempotency-Key (the key sent is the same on every attempt, so the server replays). PATCH,
 *   DELETE and the admin POSTs surface the error instead.
 * - Every other status (4xx above all) is final.
 * - All attempts fit in one deadline: a wait that would end past it is not started.
 */
import type { OperationInfo } from './operations';

export interface RetryOptions {
  /** Attempts in all, the first included (1 turns retries off). Default 5. */
  attempts?: number;
  /** First backoff step; it doubles per attempt up to maxDelayMs. Default 250. */
  baseDelayMs?: number;
  /** Cap of one backoff wait (Retry-After is honoured beyond it). Default 8000. */
  maxDelayMs?: number;
  /** Deadline of the whole call, retries and waits included. Default 30000. */
  deadlineMs?: number;
}

export type RetryPolicy = Required<RetryOptions>;

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 8_000, deadlineMs: 30_000 };

export function retryPolicy(options: RetryOptions | false | undefined): RetryPolicy {
  if (options === false) return { ...DEFAULT_RETRY, attempts: 1 };
  return { ...DEFAULT_RETRY, ...options };
}

export const retryableStatus = (status: number) => status === 429 || status === 503;

export function retryableAfterLostConnection(operation: OperationInfo): boolean {
  return operation.method === 'GET' || operation.method === 'PUT' || (operation.method === 'POST' && operation.idempotencyKey);
}

/** Equal jitter: half the exponential step, plus a random part of the other half. */
export function backoffMs(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return step / 2 + random() * (step / 2);
}

/** Retry-After as delta-seconds or an HTTP-date, in milliseconds from now; null when absent or bad. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
