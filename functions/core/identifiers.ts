/**
 * The identifier alphabet: stage and task ids of a definition, the registry tasks they name,
 * service ids, and the ids an export tree may carry. ASCII only, so byte order is the sort order
 * everywhere, and never starting with a punctuation mark.
 */
const FIRST = 'A-Za-z0-9';
const REST = 'A-Za-z0-9_.-';

/** An identifier of any length (bounded elsewhere), or of 1 to `maxLength` characters. */
export const identifierPattern = (maxLength?: number): RegExp =>
  new RegExp(maxLength === undefined ? `^[${FIRST}][${REST}]*$` : `^[${FIRST}][${REST}]{0,${maxLength - 1}}$`);

export const IDENTIFIER_MESSAGE = 'must be letters, digits, "_", "." or "-", starting with a letter or digit';

/** Pipeline names: slugs, which never contain the "_" of an id, so a reference is one or the other. */
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
