import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { endConsoleSession, findConsoleSession, purgeExpiredConsoleSessions, startConsoleSession } from '../core/console-sessions';
import type { ConsoleEnv } from './env';
import { FORM_TOKEN_FIELD, consolePath, csrfTokenOf, isLoopback, sameOrigin, tokensMatch } from './security';

export const SESSION_COOKIE = 'pipestore_console';
/** How long a sign-in lasts (the key's own expiry or revocation ends it sooner). */
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

const cookieOptions = (c: Context) => ({
  path: '/console',
  httpOnly: true,
  sameSite: 'Strict' as const,
  secure: !isLoopback(c),
});

/** Signs in with a project API key; false when the key is unknown, revoked or expired. */
export async function signIn(c: Context<ConsoleEnv>, key: string): Promise<boolean> {
  const { db } = c.get('database');
  const started = await startConsoleSession({ db, input: { key, lifetimeMs: SESSION_LIFETIME_MS } });
  if (!started) return false;
  setCookie(c, SESSION_COOKIE, started.token, { ...cookieOptions(c), maxAge: Math.floor(SESSION_LIFETIME_MS / 1000) });
  // Sessions expired for a day go now and then, on a sign-in: cheap, and nothing grows forever.
  if (Math.random() < 0.05) await purgeExpiredConsoleSessions({ db, input: { before: new Date(Date.now() - 86_400_000) } });
  return true;
}

export async function signOut(c: Context<ConsoleEnv>): Promise<void> {
  const token = getCookie(c, SESSION_COOKIE);
  if (token && TOKEN_SHAPE.test(token)) await endConsoleSession({ db: c.get('database').db, input: { token } });
  deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
}

/**
 * Every console path but sign-in and the assets: without a live session (none, expired, ended, or
 * its key revoked) the answer is a redirect to the sign-in page, which opens the page asked for
 * (a GET's path and query) once signed in.
 */
export const requireSession: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  const token = getCookie(c, SESSION_COOKIE);
  const session = token && TOKEN_SHAPE.test(token) ? await findConsoleSession({ db: c.get('database').db, input: { token } }) : undefined;
  if (!session || !token) {
    if (token) deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
    const asked = new URL(c.req.url);
    const wanted = c.req.method === 'GET' && asked.pathname !== '/console' ? consolePath(`${asked.pathname}${asked.search}`) : undefined;
    return c.redirect(wanted ? `/console/sign-in?${new URLSearchParams({ next: wanted })}` : '/console/sign-in', 303);
  }
  c.set('session', { ...session, token, csrf: csrfTokenOf(token) });
  return next();
};

/** Every POST of a signed-in page: same origin and the session's CSRF token, else 403. */
export const verifyForm: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  if (c.req.method !== 'POST') return next();
  const form = await c.req.parseBody();
  const field = form[FORM_TOKEN_FIELD];
  if (!sameOrigin(c) || !tokensMatch(typeof field === 'string' ? field : undefined, c.get('session').csrf)) {
    return c.text('This form did not come from this console page (cross-site request refused). Reload the page and try again.', 403);
  }
  return next();
};
