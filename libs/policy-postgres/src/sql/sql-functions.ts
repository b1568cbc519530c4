/*
 * Built-in functions that take SQL (or a relation/schema name) as a text argument and run it:
 * `query_to_xml('DELETE …')`, `dblink('…', 'DROP TABLE x')`, `table_to_xml('secret', …)`.
 * Their constant arguments are analysed like any other SQL; non-constant ones make the
 * statement unresolved dynamic SQL.
 */
import { asObject, unwrap } from './ast.js';
import { constantText } from './constant.js';
import { affectsSqlParsing } from './settings.js';

export type ArgumentRole = 'sql' | 'relation' | 'schema' | 'search_path' | 'setting';

export interface RoleArgument {
  readonly role: ArgumentRole;
  readonly node: unknown;
  /** For `setting`: which setting the value is for. */
  readonly setting?: string;
}

type ArgumentPicker = (args: readonly unknown[]) => RoleArgument[];

const sql = (node: unknown): RoleArgument => ({ role: 'sql', node });

/** `dblink(sql)`, `dblink(conn, sql)`, `dblink(sql, fail_on_error)`, `dblink(conn, sql, bool)`. */
const dblinkSql: ArgumentPicker = (args) => {
  if (args.length === 1) return [sql(args[0])];
  if (args.length === 2) return [sql(isBooleanLiteral(args[1]) ? args[0] : args[1])];
  return args.length >= 3 ? [sql(args[1])] : [];
};

/** `dblink_open(cursor, sql [, bool])` or `dblink_open(conn, cursor, sql [, bool])`. */
const dblinkOpenSql: ArgumentPicker = (args) => {
  if (args.length === 2) return [sql(args[1])];
  if (args.length === 3) return [sql(isBooleanLiteral(args[2]) ? args[1] : args[2])];
  return args.length >= 4 ? [sql(args[2])] : [];
};

const firstAs =
  (role: ArgumentRole): ArgumentPicker =>
  (args) =>
    args.length > 0 ? [{ role, node: args[0] }] : [];

/** `set_config(name, value, local)`: search_path, or a setting that changes how SQL is read. */
function setConfigArguments(args: readonly unknown[]): RoleArgument[] {
  if (args.length < 2) return [];
  const name = constantText(args[0])?.trim().toLowerCase();
  // A computed setting name could be standard_conforming_strings: fail closed.
  if (name === undefined) return [{ role: 'setting', node: args[1], setting: 'standard_conforming_strings' }];
  if (name === 'search_path') return [{ role: 'search_path', node: args[1] }];
  return affectsSqlParsing(name) ? [{ role: 'setting', node: args[1], setting: name }] : [];
}

const SQL_TAKING_FUNCTIONS: Readonly<Record<string, ArgumentPicker>> = {
  query_to_xml: firstAs('sql'),
  query_to_xmlschema: firstAs('sql'),
  query_to_xml_and_xmlschema: firstAs('sql'),
  ts_stat: firstAs('sql'),
  ts_rewrite: (args) => (args.length === 2 ? [sql(args[1])] : []),
  dblink: dblinkSql,
  dblink_exec: dblinkSql,
  dblink_send_query: (args) => (args.length >= 2 ? [sql(args[1])] : []),
  dblink_open: dblinkOpenSql,
  table_to_xml: firstAs('relation'),
  table_to_xmlschema: firstAs('relation'),
  table_to_xml_and_xmlschema: firstAs('relation'),
  schema_to_xml: firstAs('schema'),
  schema_to_xmlschema: firstAs('schema'),
  schema_to_xml_and_xmlschema: firstAs('schema'),
  set_config: setConfigArguments,
};

/** Arguments of a call that carry SQL or names, by function name (any schema). */
export function sqlArgumentsOf(name: string, args: readonly unknown[]): RoleArgument[] {
  const picker = Object.hasOwn(SQL_TAKING_FUNCTIONS, name) ? SQL_TAKING_FUNCTIONS[name] : undefined;
  return picker ? picker(args) : [];
}

function isBooleanLiteral(node: unknown): boolean {
  const wrapped = unwrap(node);
  return wrapped?.[0] === 'A_Const' && asObject(wrapped[1]['boolval']) !== undefined;
}
