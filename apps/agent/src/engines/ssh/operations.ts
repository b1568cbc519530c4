import type { EngineContext } from '../engine.js';

/**
 * What an access rule (or a just-in-time grant) may allow on an SSH connection. A rule or grant
 * naming none of these (every rule written before they existed: read, write, admin) allows all
 * four, so existing rules keep working; one naming some allows only those. `sftp` covers file
 * transfer: the sftp subsystem and the legacy scp protocol (`scp -O`, an exec of `scp -t/-f`).
 */
export const SSH_OPERATIONS = ['shell', 'exec', 'sftp', 'forward'] as const;
export type SshOperation = (typeof SSH_OPERATIONS)[number];

const NAMES: ReadonlySet<string> = new Set(SSH_OPERATIONS);

/** Whether any rule or grant admitting the session allows `operation` (none admits: no). */
export function operationAllowed(lists: readonly (readonly string[])[], operation: SshOperation): boolean {
  return lists.some((list) => list.includes(operation) || !list.some((name) => NAMES.has(name)));
}

/**
 * Checks `operation` against the session's access now (rules follow policy changes); when it is
 * not allowed, audits the refusal and returns the message to show the client, else null.
 */
export function refuseOperation(context: EngineContext, operation: SshOperation, detail: string): string | null {
  if (operationAllowed(context.operations(), operation)) return null;
  context.audit({
    kind: 'statement.blocked',
    decision: 'blocked',
    policyVersion: context.policy().version,
    details: { operation, request: detail.slice(0, 200), reason: `access does not allow ${operation}` },
  });
  context.logger.info({ operation }, 'ssh operation refused by access rules');
  return `Postern: your access to this connection does not allow ${operation} (${detail.slice(0, 80)})`;
}
