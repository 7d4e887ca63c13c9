/**
 * What the Data API needs to know about a Postgres type: which `Field` member carries its values
 * and what JDBC reports for it in `columnMetadata` (the service sits on the PostgreSQL JDBC
 * driver, so its metadata speaks java.sql.Types).
 */

export const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

/** How a value travels in a `Field`. */
export type ValueKind = 'long' | 'double' | 'bool' | 'decimal' | 'blob' | 'timestamptz' | 'string';

export interface TypeInfo {
  name: string;
  kind: ValueKind;
  /** java.sql.Types code. */
  jdbc: number;
  /** Element type OID when this is an array type. */
  elem?: number;
}

const JDBC = {
  BIT: -7,
  SMALLINT: 5,
  INTEGER: 4,
  BIGINT: -5,
  REAL: 7,
  DOUBLE: 8,
  NUMERIC: 2,
  CHAR: 1,
  VARCHAR: 12,
  DATE: 91,
  TIME: 92,
  TIMESTAMP: 93,
  BINARY: -2,
  OTHER: 1111,
  ARRAY: 2003,
  SQLXML: 2009,
} as const;

// [oid, name, kind, jdbc, array oid]
const SCALARS: [number, string, ValueKind, number, number][] = [
  [16, 'bool', 'bool', JDBC.BIT, 1000],
  [17, 'bytea', 'blob', JDBC.BINARY, 1001],
  [18, 'char', 'string', JDBC.CHAR, 1002],
  [19, 'name', 'string', JDBC.VARCHAR, 1003],
  [20, 'int8', 'long', JDBC.BIGINT, 1016],
  [21, 'int2', 'long', JDBC.SMALLINT, 1005],
  [23, 'int4', 'long', JDBC.INTEGER, 1007],
  [25, 'text', 'string', JDBC.VARCHAR, 1009],
  [26, 'oid', 'long', JDBC.BIGINT, 1028],
  [114, 'json', 'string', JDBC.OTHER, 199],
  [142, 'xml', 'string', JDBC.SQLXML, 143],
  [700, 'float4', 'double', JDBC.REAL, 1021],
  [701, 'float8', 'double', JDBC.DOUBLE, 1022],
  [790, 'money', 'string', JDBC.DOUBLE, 791],
  [1042, 'bpchar', 'string', JDBC.CHAR, 1014],
  [1043, 'varchar', 'string', JDBC.VARCHAR, 1015],
  [1082, 'date', 'string', JDBC.DATE, 1182],
  [1083, 'time', 'string', JDBC.TIME, 1183],
  [1114, 'timestamp', 'string', JDBC.TIMESTAMP, 1115],
  [1184, 'timestamptz', 'timestamptz', JDBC.TIMESTAMP, 1185],
  [1186, 'interval', 'string', JDBC.OTHER, 1187],
  [1266, 'timetz', 'string', JDBC.TIME, 1270],
  [1700, 'numeric', 'decimal', JDBC.NUMERIC, 1231],
  [2950, 'uuid', 'string', JDBC.OTHER, 2951],
  [3802, 'jsonb', 'string', JDBC.OTHER, 3807],
];

const BUILTIN = new Map<number, TypeInfo>();
for (const [oid, name, kind, jdbc, arrayOid] of SCALARS) {
  BUILTIN.set(oid, { name, kind, jdbc });
  BUILTIN.set(arrayOid, { name: `_${name}`, kind: 'string', jdbc: JDBC.ARRAY, elem: oid });
}

/** Row of `CATALOG_SQL`, as raw text. */
type CatalogRow = (string | null)[];

/**
 * Catalog query for types the static table does not know (enums, user arrays, extensions).
 * Only integer literals are interpolated.
 */
export function catalogSql(oids: number[]): string {
  return `select oid::int, typname, typelem::int, typcategory from pg_catalog.pg_type where oid in (${oids.map((o) => Math.trunc(o)).join(',')})`;
}

/**
 * Type lookups, learning unknown OIDs from the catalog of the session that produced them
 * (in a transaction that session may be the only one able to see a freshly created type).
 */
export class TypeRegistry {
  private readonly learned = new Map<number, TypeInfo>();

  get(oid: number): TypeInfo {
    return BUILTIN.get(oid) ?? this.learned.get(oid) ?? { name: String(oid), kind: 'string', jdbc: JDBC.OTHER };
  }

  missing(oids: number[]): number[] {
    const out = new Set<number>();
    for (const oid of oids) {
      if (!BUILTIN.has(oid) && !this.learned.has(oid)) out.add(oid);
      const elem = this.get(oid).elem;
      if (elem !== undefined && !BUILTIN.has(elem) && !this.learned.has(elem)) out.add(elem);
    }
    return [...out];
  }

  learn(rows: CatalogRow[]): void {
    for (const [oid, name, elem, category] of rows) {
      const isArray = category === 'A' && elem !== '0';
      this.learned.set(Number(oid), {
        name: name ?? String(oid),
        kind: 'string',
        jdbc: isArray ? JDBC.ARRAY : category === 'E' ? JDBC.VARCHAR : JDBC.OTHER,
        ...(isArray ? { elem: Number(elem) } : {}),
      });
    }
  }
}
