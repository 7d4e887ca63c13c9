/**
 * A list operation as async iteration: `for await (const item of list)` follows `nextCursor` page
 * by page until it is null; `pages()` yields whole pages; `page()` fetches one. Each page is its
 * own call (with its own retries); nothing is fetched until iteration starts.
 */
import type { CallResult } from './transport';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export class Paginated<T, P extends Page<T> = Page<T>> implements AsyncIterable<T> {
  constructor(
    private readonly fetchPage: (cursor: string | undefined) => Promise<CallResult<P>>,
    private readonly startCursor?: string,
  ) {}

  /** One page: the first, or the one `cursor` names. */
  async page(cursor = this.startCursor): Promise<P> {
    return (await this.fetchPage(cursor)).data;
  }

  async *pages(): AsyncGenerator<P, void, undefined> {
    let cursor = this.startCursor;
    do {
      const page = await this.page(cursor);
      yield page;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.items;
  }

  /** Every item, in order (for lists known to be small). */
  async toArray(): Promise<T[]> {
    const items: T[] = [];
    for await (const item of this) items.push(item);
    return items;
  }
}
