/*
 * Settings that change how the server reads SQL text. The gateway parses with PostgreSQL's
 * defaults (standard_conforming_strings on, UTF-8): after `SET standard_conforming_strings = off`
 * the server reads `'\''` differently and a string could hide a statement from the gateway.
 * Changing them (SET, ALTER ROLE/DATABASE … SET, set_config) therefore makes the statement
 * unresolved dynamic SQL: what follows cannot be checked reliably.
 */
import { parseBoolText } from './constant.js';

const SAFE_VALUE: ReadonlyMap<string, (value: string) => boolean> = new Map([
  ['standard_conforming_strings', (value: string) => parseBoolText(value) === true],
  ['client_encoding', (value: string) => /^\s*(utf-?8|unicode)\s*$/i.test(value)],
]);

export function affectsSqlParsing(setting: string): boolean {
  return SAFE_VALUE.has(setting.trim().toLowerCase());
}

/** True when setting `setting` to `value` (undefined: not a known constant) is unsafe. */
export function changesHowSqlIsRead(setting: string, value: string | undefined): boolean {
  const isSafe = SAFE_VALUE.get(setting.trim().toLowerCase());
  if (!isSafe) return false;
  return value === undefined || !isSafe(value);
}
