/**
 * What every list page has around its table: a GET form of filters (so the view is a link and the
 * back button works) and the pager. Both keep the filters in the query string.
 */
import type { FC } from 'hono/jsx';
import { withQuery } from './layout';

type Query = Record<string, string | undefined>;

interface Option {
  value: string;
  text?: string;
}

/** A select when it has options (with an "any" choice when `any` names it), else a text input. */
export interface FilterField {
  name: string;
  label: string;
  value?: string;
  options?: readonly (string | Option)[];
  /** The empty choice of a select: "any", "all", … (none: a value must be chosen). */
  any?: string;
  placeholder?: string;
}

const asOption = (option: string | Option): Option => (typeof option === 'string' ? { value: option } : option);

const Field: FC<{ field: FilterField }> = ({ field }) => (
  // biome-ignore lint/a11y/noLabelWithoutControl: the label wraps its control, a select or an input chosen below
  <label>
    {field.label}
    {field.options ? (
      <select name={field.name}>
        {field.any !== undefined && <option value="">{field.any}</option>}
        {field.options.map(asOption).map((o) => (
          <option value={o.value} selected={field.value === o.value}>
            {o.text ?? o.value}
          </option>
        ))}
      </select>
    ) : (
      <input name={field.name} value={field.value ?? ''} placeholder={field.placeholder} />
    )}
  </label>
);

/**
 * The filter bar: one GET form; "Clear" (back to `action` without filters) once any is set, when
 * `clearable`.
 */
export const FilterForm: FC<{ action: string; fields: FilterField[]; submit?: string; search?: boolean; clearable?: boolean; anchor?: string }> = ({
  action,
  fields,
  submit = 'Filter',
  search,
  clearable = true,
  anchor = '',
}) => (
  <form class="filters" method="get" action={action + anchor} role={search ? 'search' : undefined}>
    {fields.map((field) => (
      <Field field={field} />
    ))}
    <button type="submit">{submit}</button>
    {clearable && fields.some((f) => f.value) && <a href={action + anchor}>Clear</a>}
  </form>
);

/**
 * The next page (a cursor, so pages only go forward) and, when not on the first, a link back to it,
 * both with the same filters (`keep`).
 */
export const Pager: FC<{ path: string; keep?: Query; cursor?: string; nextCursor: string | null | undefined; anchor?: string }> = ({
  path,
  keep = {},
  cursor,
  nextCursor,
  anchor = '',
}) =>
  cursor || nextCursor ? (
    <nav class="pager" aria-label="Pages">
      {cursor && <a href={withQuery(path, { ...keep, cursor: undefined }) + anchor}>« First page</a>}
      {nextCursor && <a href={withQuery(path, { ...keep, cursor: nextCursor }) + anchor}>Next page »</a>}
    </nav>
  ) : null;
