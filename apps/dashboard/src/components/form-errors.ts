import type { CombinedError } from '@urql/core';
import { errorMessage, fieldErrorOf } from './State';

/** Roots the API prefixes to a nested field's path ("spec.columns[0]", "match.relations"). */
const ROOTS = ['spec.', 'match.', 'input.'];

export interface ApiFieldErrors {
  byField: Record<string, string>;
  /** What names no field of the form (shown above the submit button). */
  rest: string | null;
}

/**
 * Puts the API's validation messages on the form's fields: "<path>: <problem>" (rules) and
 * "<field> <problem>" (connections, agents) both name the field they concern.
 */
export function apiFieldErrors(error: CombinedError, fields: readonly string[]): ApiFieldErrors {
  const byField: Record<string, string> = {};
  const rest: string[] = [];
  for (const { message } of error.graphQLErrors) {
    const located = fieldErrorOf(message);
    if (located) {
      const root = ROOTS.find((r) => located.field.startsWith(r));
      const leaf = (root ? located.field.slice(root.length) : located.field).split('.')[0] ?? '';
      if (fields.includes(leaf)) {
        byField[leaf] = located.problem;
        continue;
      }
    }
    const [first = ''] = message.split(' ');
    if (fields.includes(first)) byField[first] = message;
    else rest.push(message);
  }
  if (error.networkError) rest.push(errorMessage(error));
  return { byField, rest: rest.length > 0 ? rest.join('; ') : null };
}
