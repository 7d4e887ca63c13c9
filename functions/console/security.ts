import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { secureHeaders } from 'hono/secure-headers';
import type { ConsoleEnv } from './env';

/**
 * Headers of every console response: the page may load only its own scripts, styles and images
 * (no inline script, so an injected <script> cannot run), may not be framed, posts forms only to
 * itself, and is never cached (it shows a signed-in project's data). Assets set their own caching.
 */
export const consoleSecurityHeaders: MiddlewareHandler<ConsoleEnv> = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    frameAncestors: ["'none'"],
    formAction: ["'self'"],
    baseUri: ["'none'"],
    objectSrc: ["'none'"],
  },
  xFrameOptions: 'DENY',
  referrerPolicy: 'same-origin',
  crossOriginResourcePolicy: 'same-origin',
});

export const FORM_TOKEN_FIELD = '_csrf';
export const SIGN_IN_CSRF_COOKIE = 'pipestore_console_csrf';

/** The CSRF token of a session: derived from its secret token, so nothing more is stored. */
export const csrfTokenOf = (sessionToken: string) => createHmac('sha256', sessionToken).update('pipestore console form v1').digest('base64url');

export const tokensMatch = (a: string | undefined, b: string | undefined) => {
  if (!a || !b) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/** Loopback hosts get cookies without `Secure`: `npm start` serves plain HTTP on 127.0.0.1. */
export const isLoopback = (c: Context) => {
  const host = new URL(c.req.url).hostname;
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
};

/**
 * A state-changing request must come from a page of this console: its Origin (or, when a browser
 * sends none, its Referer) must be this server's origin. Together with the per-session token in
 * every form this refuses cross-site posts even from a browser that ignores SameSite.
 */
export function sameOrigin(c: Context): boolean {
  const own = new URL(c.req.url).origin;
  const origin = c.req.header('Origin');
  if (origin) return origin === own;
  const referer = c.req.header('Referer');
  if (!referer) return false;
  try {
    return new URL(referer).origin === own;
  } catch {
    return false;
  }
}

/** The sign-in form has no session yet: a double-submit token (cookie + hidden field) instead. */
export function signInCsrfToken(c: Context): string {
  const existing = getCookie(c, SIGN_IN_CSRF_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomBytes(32).toString('base64url');
  setCookie(c, SIGN_IN_CSRF_COOKIE, token, {
    path: '/console',
    httpOnly: true,
    sameSite: 'Strict',
    secure: !isLoopback(c),
    maxAge: 60 * 60,
  });
  return token;
}

/**
 * `text` as a path and query of a console page on this origin, or undefined: what a form may name
 * as the page to go back to, and sign-in as the page to go on to. Read as the browser would
 * resolve it (so `/console/../x` or `//host` cannot leave the console), sign-in and sign-out
 * excluded.
 */
export function consolePath(text: string | undefined): string | undefined {
  if (!text?.startsWith('/') || text.length > 2000) return undefined;
  let url: URL;
  try {
    url = new URL(text, 'http://console.invalid');
  } catch {
    return undefined;
  }
  if (url.origin !== 'http://console.invalid' || !(url.pathname === '/console' || url.pathname.startsWith('/console/'))) return undefined;
  if (url.pathname.startsWith('/console/sign-')) return undefined;
  return `${url.pathname}${url.search}`;
}
