/**
 * What masking can do with a value, from its type OID (RowDescription) and format. PostgreSQL
 * sends a domain's base type in RowDescription, so domains land on their base type here.
 */
export type ValueKind =
  /** UTF-8 text in either format (text, varchar, bpchar, name, xml, unknown; any type as text). */
  | 'text'
  /** JSON text: json in either format, jsonb in text format. */
  | 'json'
  /** jsonb in binary format: one version byte (1), then JSON text. */
  | 'jsonb-binary'
  /** An array in text format (`{a,"b c",NULL}`); elements are classified by their own type. */
  | 'text-array'
  /** An array in binary format; elements are classified by the element type of its header. */
  | 'binary-array'
  /** A non-text type in text format (int8, numeric, money…): no masked form, so a hit gives NULL. */
  | 'scalar'
  /** A type in text format whose text cannot hold a built-in detection (int4, date, uuid…). */
  | 'inert'
  /** A user-defined type (OID ≥ 16384) in binary format: layout unknown, a hit gives NULL. */
  | 'opaque'
  /** A built-in non-text type in binary format: never inspected; a column rule gives NULL. */
  | 'binary';

export const TypeOid = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  xml: 142,
  float4: 700,
  float8: 701,
  unknown: 705,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  numeric: 1700,
  uuid: 2950,
  record: 2249,
  jsonb: 3802,
} as const;

/** OIDs from here on are created by users and extensions (citext, hstore, enums, composites…). */
export const FIRST_USER_OID = 16384;

const TEXT_TYPES = new Set<number>([
  TypeOid.text,
  TypeOid.varchar,
  TypeOid.bpchar,
  TypeOid.name,
  TypeOid.unknown,
  TypeOid.xml,
]);

/**
 * Text forms made only of digits, signs, dots, colons, dashes in fixed places, hex or true/false:
 * none holds an email, a 13-digit run, an IBAN, a phone with separators or a token. (A custom
 * pattern still runs on them.) bytea is here because its text form is hex (`\x…`) by default.
 */
const INERT_TYPES = new Set<number>([
  TypeOid.bool,
  TypeOid.bytea,
  TypeOid.char,
  TypeOid.int2,
  TypeOid.int4,
  TypeOid.oid,
  27, // tid
  28, // xid
  29, // cid
  TypeOid.float4,
  TypeOid.float8,
  TypeOid.date,
  TypeOid.time,
  TypeOid.timetz,
  TypeOid.timestamp,
  TypeOid.timestamptz,
  TypeOid.interval,
  TypeOid.uuid,
  650, // cidr
  869, // inet
  829, // macaddr
  774, // macaddr8
  3220, // pg_lsn
]);

/** Built-in array types and their element types (pg_type.typelem). */
const ARRAY_ELEMENTS = new Map<number, number>([
  [1000, TypeOid.bool],
  [1001, TypeOid.bytea],
  [1002, TypeOid.char],
  [1003, TypeOid.name],
  [1005, TypeOid.int2],
  [1007, TypeOid.int4],
  [1009, TypeOid.text],
  [1014, TypeOid.bpchar],
  [1015, TypeOid.varchar],
  [1016, TypeOid.int8],
  [1021, TypeOid.float4],
  [1022, TypeOid.float8],
  [1028, TypeOid.oid],
  [1115, TypeOid.timestamp],
  [1182, TypeOid.date],
  [1183, TypeOid.time],
  [1185, TypeOid.timestamptz],
  [1187, TypeOid.interval],
  [1231, TypeOid.numeric],
  [1270, TypeOid.timetz],
  [143, TypeOid.xml],
  [199, TypeOid.json],
  [2951, TypeOid.uuid],
  [3807, TypeOid.jsonb],
  [791, 790], // money
  [1040, 829], // macaddr
  [1041, 869], // inet
  [651, 650], // cidr
  [2287, TypeOid.record],
]);

export function classify(typeOid: number, format: 0 | 1): ValueKind {
  if (TEXT_TYPES.has(typeOid)) return 'text';
  if (typeOid === TypeOid.json) return 'json';
  if (typeOid === TypeOid.jsonb) return format === 0 ? 'json' : 'jsonb-binary';
  if (ARRAY_ELEMENTS.has(typeOid)) return format === 0 ? 'text-array' : 'binary-array';
  // Anonymous records and user types (citext, enums, hstore, composites) are strings to the
  // client in text format; in binary their layout is unknown here, but their text is in the bytes.
  const userLike = typeOid >= FIRST_USER_OID || typeOid === TypeOid.record;
  if (format === 0) {
    if (userLike) return 'text';
    return INERT_TYPES.has(typeOid) ? 'inert' : 'scalar';
  }
  return userLike ? 'opaque' : 'binary';
}

/** The element type of a built-in array type (text format needs it; binary carries its own). */
export function arrayElementOid(typeOid: number): number | undefined {
  return ARRAY_ELEMENTS.get(typeOid);
}
