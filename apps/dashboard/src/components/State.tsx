import type { CombinedError } from '@urql/core';
import type { ReactNode } from 'react';

export function Loading({ what }: { what: string }) {
  return (
    <p className="state state-loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state state-empty">{children}</p>;
}

/** The message a person can act on: the API's own words (domain errors carry clear ones). */
export function errorMessage(error: CombinedError): string {
  if (error.networkError) return `The control plane could not be reached (${error.networkError.message}).`;
  return error.graphQLErrors.map((e) => e.message).join('; ') || error.message;
}

export function ErrorNotice({ error, title = 'Something went wrong' }: { error: CombinedError; title?: string }) {
  return (
    <div className="state state-error" role="alert">
      <strong>{title}:</strong> {errorMessage(error)}
    </div>
  );
}

/** Splits "spec.columns[0]: must be …" into the field it names and the problem. */
export function fieldErrorOf(message: string): { field: string; problem: string } | null {
  const match = /^([A-Za-z][\w]*(?:\.[A-Za-z]\w*)*)(?:\[\d+\])?(?:\.[\w[\]]+)*: (.+)$/s.exec(message);
  if (!match?.[1] || !match[2]) return null;
  return { field: match[1], problem: match[2] };
}
