import { InvalidArgumentError } from '../errors/domain-error.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Names people type into clients (PostgreSQL dbname, agent names): 1-63 of [a-z0-9_-]. */
export const RESOURCE_NAME = /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/;

/**
 * Text from an agent or client as it can be stored: at most `max` UTF-16 units, NUL (which
 * PostgreSQL text refuses, failing the whole write) replaced by U+FFFD.
 */
export function storableText(value: string, max: number): string {
  return withoutNul(value.slice(0, max));
}

/** NUL replaced by U+FFFD (PostgreSQL text and jsonb refuse NUL). */
export function withoutNul(value: string): string {
  return value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value;
}

export function requireUuid(value: string, what: string): string {
  if (!UUID.test(value)) throw new InvalidArgumentError(`${what} must be a UUID`);
  return value;
}

export function requireGroupNames(groups: string[]): string[] {
  if (groups.length === 0) throw new InvalidArgumentError('at least one group is required');
  for (const group of groups) {
    if (!/^[\w.@:/-]{1,128}$/.test(group))
      throw new InvalidArgumentError(`group "${group.slice(0, 40)}" is not a valid group name`);
  }
  return [...new Set(groups)].sort();
}
