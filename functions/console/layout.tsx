import type { Child, FC } from 'hono/jsx';
import { ASSETS } from './assets';
import { FORM_TOKEN_FIELD } from './security';

export interface LayoutProps {
  title: string;
  /** Signed in: the navigation and the sign-out form (with the session's CSRF token). */
  csrf?: string;
  /** Seconds between live refreshes, when the page shows something still changing. */
  refresh?: number;
  children?: Child;
}

export const Layout: FC<LayoutProps> = ({ title, csrf, refresh, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${title} · pipestore`}</title>
      <link rel="stylesheet" href={ASSETS.styles.path} />
      <script src={ASSETS.script.path} defer />
    </head>
    <body>
      <header class="top">
        <a class="brand" href="/console">
          pipestore
        </a>
        {csrf && (
          <nav aria-label="Console">
            <a href="/console">Pipelines</a>
            <a href="/console/runs">Runs</a>
            <a href="/console/dlq">Dead letters</a>
            <a href="/console/services">Services</a>
          </nav>
        )}
        {csrf && (
          <ActionButton action="/console/sign-out" csrf={csrf} block>
            Sign out
          </ActionButton>
        )}
      </header>
      <main data-refresh={refresh ? String(refresh) : undefined}>{children}</main>
    </body>
  </html>
);

export const CsrfField: FC<{ token: string }> = ({ token }) => <input type="hidden" name={FORM_TOKEN_FIELD} value={token} />;

export interface ActionButtonProps {
  /** The console action the form posts to. */
  action: string;
  /** The session's CSRF token, which every console POST carries. */
  csrf: string;
  /** Hidden fields the action reads besides the token (a revision shown, a page to return to). */
  fields?: Record<string, string>;
  /** `danger`: an action that deletes or stops something. */
  variant?: 'danger';
  /** The button's accessible name, where its text alone would not say what it acts on. */
  label?: string;
  /** On a line of its own rather than inline with the text around it. */
  block?: boolean;
  children: Child;
}

/** A form that is one button: a POST of the CSRF token and `fields` to `action`. */
export const ActionButton: FC<ActionButtonProps> = ({ action, csrf, fields = {}, variant, label, block, children }) => (
  <form class={block ? undefined : 'inline'} method="post" action={action}>
    <CsrfField token={csrf} />
    {Object.entries(fields).map(([name, value]) => (
      <input type="hidden" name={name} value={value} />
    ))}
    <button type="submit" class={variant} aria-label={label}>
      {children}
    </button>
  </form>
);

/** Status as text and icon (CSS), never color alone. */
export const Status: FC<{ status: string }> = ({ status }) => <span class={`status s-${status}`}>{status.replace('_', ' ')}</span>;

const UNITS: [number, string][] = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'min'],
  [1000, 's'],
];

export function relativeTime(iso: string, now = Date.now()): string {
  const ms = now - Date.parse(iso);
  const abs = Math.abs(ms);
  if (abs < 1000) return 'just now';
  const [unit, name] = UNITS.find(([u]) => abs >= u)!;
  const n = Math.floor(abs / unit);
  return ms >= 0 ? `${n} ${name} ago` : `in ${n} ${name}`;
}

/** "3 min ago", with the exact UTC time on hover. */
export const Ago: FC<{ at: string | null | undefined }> = ({ at }) =>
  at ? (
    <time datetime={at} title={at.replace('T', ' ').replace('Z', ' UTC')}>
      {relativeTime(at)}
    </time>
  ) : (
    <span class="muted">—</span>
  );

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

export const Duration: FC<{ from: string | null; to: string | null }> = ({ from, to }) => {
  if (!from) return <span class="muted">—</span>;
  const ms = (to ? Date.parse(to) : Date.now()) - Date.parse(from);
  return <span>{`${formatDuration(Math.max(0, ms))}${to ? '' : ' so far'}`}</span>;
};

/** A long id shortened for reading, whole in its title and in the copy button (shown with JS on). */
export const ShortId: FC<{ id: string; href?: string }> = ({ id, href }) => {
  const short = id.length > 16 ? `${id.slice(0, id.indexOf('_') + 1)}…${id.slice(-6)}` : id;
  const text = (
    <code title={id} class="mono">
      {short}
    </code>
  );
  return (
    <span>
      {href ? <a href={href}>{text}</a> : text}
      <button type="button" class="copy" data-copy={id} hidden aria-label={`Copy ${id}`}>
        copy
      </button>
    </span>
  );
};

export const Json: FC<{ value: unknown }> = ({ value }) =>
  value === null || value === undefined ? <span class="muted">—</span> : <pre>{JSON.stringify(value, null, 2)}</pre>;

export const Labels: FC<{ labels: Record<string, string> }> = ({ labels }) => (
  <span class="labels">
    {Object.entries(labels).map(([k, v]) => (
      <span>{`${k}=${v}`}</span>
    ))}
  </span>
);

/** Messages a redirect after a form may show: a fixed set, so a URL cannot put text on the page. */
const NOTICES: Record<string, { text: string; error?: boolean }> = {
  activated: { text: 'Version activated.' },
  'activate-stale': {
    text: 'This pipeline changed since you loaded it (someone else activated a version or edited it). Nothing was changed: review the page as it is now and try again.',
    error: true,
  },
  'activate-missing': { text: 'That version does not exist (any more).', error: true },
  'bad-input': { text: 'The run input is not valid JSON: nothing was started.', error: true },
  'input-too-large': { text: 'The run input is larger than 256 KiB: nothing was started.', error: true },
  cancelled: { text: 'Run cancelled.' },
  'cancel-refused': { text: 'The run had already finished: nothing to cancel.', error: true },
  replayed: { text: 'Replayed: the task has a new pending attempt.' },
  deleted: { text: 'Entry deleted.' },
  'schedule-paused': { text: 'Schedule paused: no slot fires until it is resumed.' },
  'schedule-resumed': { text: 'Schedule resumed: it fires from its next slot on (slots that passed while paused do not fire).' },
  'schedule-none': { text: 'This pipeline has no schedule (any more): nothing to pause or resume.', error: true },
  'signed-out': { text: 'Signed out.' },
  'bad-key': { text: 'That key is unknown, revoked or expired.', error: true },
};

export const Notice: FC<{ code: string | undefined }> = ({ code }) => {
  const notice = code ? NOTICES[code] : undefined;
  return notice ? (
    <p class={notice.error ? 'notice error' : 'notice'} role={notice.error ? 'alert' : 'status'}>
      {notice.text}
    </p>
  ) : null;
};

export const Empty: FC<{ children?: Child }> = ({ children }) => <p class="empty">{children}</p>;

/** A URL with its query built from the defined entries (filters stay in the URL: views are links). */
export function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, v);
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
