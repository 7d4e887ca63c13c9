import { describe, it, expect } from 'vitest';
import { bindStatement, rewriteNamedParameters } from '../support/data-api/sql-params';
import { formatTimestamptz, parseArrayLiteral } from '../support/data-api/values';

const names = new Set(['1', '2', 'id']);

describe('named parameter rewriting', () => {
  it('numbers names by first use and reuses the number for repeats', () => {
    expect(rewriteNamedParameters('select :2, :1, :2, :id', names)).toEqual({
      text: 'select $1, $2, $1, $3',
      order: ['2', '1', 'id'],
    });
  });

  it('leaves casts, literals, identifiers, comments and dollar quotes alone', () => {
    const sql = [
      `select :1::int, x::text, ':1', E'\\':1', 'it''s :2', "col:1"`,
      `-- :2 in a comment`,
      `/* outer /* :1 nested */ still :2 */ $$ :1 $$, $tag$ :2 $tag$, a$b, :2`,
    ].join('\n');
    const { text, order } = rewriteNamedParameters(sql, names);
    expect(text).toBe(
      [
        `select $1::int, x::text, ':1', E'\\':1', 'it''s :2', "col:1"`,
        `-- :2 in a comment`,
        `/* outer /* :1 nested */ still :2 */ $$ :1 $$, $tag$ :2 $tag$, a$b, $2`,
      ].join('\n'),
    );
    expect(order).toEqual(['1', '2']);
  });

  it('leaves unknown names and array slices for Postgres to judge', () => {
    expect(rewriteNamedParameters('select arr[1:3], :other', names).text).toBe('select arr[1:3], :other');
  });

  it('types parameters like the JDBC binding of the service', () => {
    const bound = bindStatement('select :a, :b, :c, :d, :e, :f, :g', [
      { name: 'a', value: { stringValue: 'x' } },
      { name: 'b', value: { longValue: 7 } },
      { name: 'c', value: { doubleValue: 1.5 } },
      { name: 'd', value: { booleanValue: false } },
      { name: 'e', value: { isNull: true } },
      { name: 'f', value: { blobValue: Buffer.from([1, 255]).toString('base64') } },
      { name: 'g', value: { stringValue: '{"a":1}' }, typeHint: 'JSON' },
    ]);
    expect(bound.values).toEqual(['x', '7', '1.5', 'f', null, '\\x01ff', '{"a":1}']);
    expect(bound.types).toEqual([1043, 20, 701, 16, 0, 17, 114]);
  });

  it('rejects what the service rejects', () => {
    expect(() => bindStatement('select :a', [{ name: 'a', value: { arrayValue: { longValues: [1] } } }])).toThrow('Array parameters are not supported.');
    expect(() => bindStatement('select :a', [{ name: 'a', value: { stringValue: '2024-01-01T00:00:00Z' }, typeHint: 'TIMESTAMP' }])).toThrow(
      /Timestamp format/,
    );
    expect(() => bindStatement('select :a', [{ name: 'a', value: { stringValue: 'x' }, typeHint: 'NOPE' }])).toThrow(/typeHint/);
  });
});

describe('result conversions', () => {
  it('prints timestamptz in UTC without an offset', () => {
    expect(formatTimestamptz('2024-02-29 23:59:59.987+00')).toBe('2024-02-29 23:59:59.987');
    expect(formatTimestamptz('2024-01-01 01:30:00.5+05:30')).toBe('2023-12-31 20:00:00.5');
    expect(formatTimestamptz('2023-12-31 22:00:00-02')).toBe('2024-01-01 00:00:00');
    expect(formatTimestamptz('infinity')).toBe('infinity');
  });

  it('parses Postgres array output', () => {
    expect(parseArrayLiteral('{}')).toEqual([]);
    expect(parseArrayLiteral('{a,"b c",NULL,"NULL","q\\"x\\\\"}')).toEqual(['a', 'b c', null, 'NULL', 'q"x\\']);
    expect(parseArrayLiteral('{{1,2},{3,NULL}}')).toEqual([
      ['1', '2'],
      ['3', null],
    ]);
    expect(parseArrayLiteral('[0:1]={7,8}')).toEqual(['7', '8']);
  });
});
