/**
 * A form-posting client for the console over app.request: keeps cookies like a browser on
 * http://127.0.0.1, sends the console's Origin on posts unless told otherwise, and reads the
 * CSRF token from the page it last loaded.
 */
import { expect } from 'vitest';
import { newProject, type TestApi } from '../support/api';

export const ORIGIN = 'http://127.0.0.1';

export interface Page {
  status: number;
  headers: Headers;
  html: string;
  location: string | null;
}

export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  last: Page | undefined;

  constructor(private readonly api: TestApi) {}

  private cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const [name, value] = pair!.split('=');
      const expired = attrs.some((a) => /max-age=0/i.test(a.trim()));
      if (expired || !value) this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value.trim());
    }
  }

  async get(path: string): Promise<Page> {
    const res = await this.api.app.request(`${ORIGIN}${path}`, { headers: { Cookie: this.cookieHeader() } });
    this.remember(res);
    this.last = { status: res.status, headers: res.headers, html: await res.text(), location: res.headers.get('Location') };
    return this.last;
  }

  csrf(page = this.last): string {
    const match = /name="_csrf" value="([^"]+)"/.exec(page?.html ?? '');
    if (!match) throw new Error('no CSRF token on the page');
    return match[1]!;
  }

  async post(path: string, fields: Record<string, string>, { origin = ORIGIN, csrf = true }: { origin?: string | null; csrf?: boolean } = {}): Promise<Page> {
    const body = new URLSearchParams({ ...(csrf && { _csrf: this.csrf() }), ...fields });
    const res = await this.api.app.request(`${ORIGIN}${path}`, {
      method: 'POST',
      headers: { Cookie: this.cookieHeader(), 'Content-Type': 'application/x-www-form-urlencoded', ...(origin && { Origin: origin }) },
      body: body.toString(),
    });
    this.remember(res);
    return { status: res.status, headers: res.headers, html: await res.text(), location: res.headers.get('Location') };
  }

  async signIn(key: string): Promise<Page> {
    await this.get('/console/sign-in');
    return this.post('/console/sign-in', { key });
  }
}

/** A fresh project and a console client signed in to it with the project's key (303 to /console). */
export async function signedIn(api: TestApi) {
  const project = await newProject(api);
  const browser = new ConsoleClient(api);
  const res = await browser.signIn(project.key);
  expect(res.status).toBe(303);
  expect(res.location).toBe('/console');
  return { project, browser };
}
