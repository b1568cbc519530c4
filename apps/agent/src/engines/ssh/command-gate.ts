import type { EngineContext } from '../engine.js';

/** Longest command text kept in an audit event or review. */
const SHOWN = 4096;

export type CommandVerdict = { ok: true } | { ok: false; message: string };

/**
 * The policy stage of an exec request: the command line is checked by the session's rules (the
 * shell analyser of libs/policy-ssh: command names anywhere in the parse tree) and either runs,
 * is refused with the reason, or waits for a human decision. Text that does not parse is
 * refused (fail closed). `notify` tells the waiting client about the hold on its stderr.
 */
export async function admitCommand(
  command: string,
  context: EngineContext,
  notify: (line: string) => void,
  /** How the request is shown in audit events and reviews (a channel request is not a command line). */
  label: string = command,
): Promise<CommandVerdict> {
  const policy = context.policy();
  const decision = policy.statements.evaluate(command);
  const shown = label.length > SHOWN ? `${label.slice(0, SHOWN)}…` : label;
  const audit = (
    kind: Parameters<EngineContext['audit']>[0]['kind'],
    decisionName: string,
    ruleId: string | undefined,
    details: Record<string, unknown>,
  ) =>
    context.audit({
      kind,
      decision: decisionName,
      ...(ruleId === undefined ? {} : { ruleId }),
      policyVersion: policy.version,
      details: { command: shown, ...details },
    });
  switch (decision.action) {
    case 'allow':
      return { ok: true };
    case 'invalid':
      audit('statement.blocked', 'blocked', undefined, { reason: `cannot be checked: ${decision.message}` });
      return { ok: false, message: `Postern: command refused: it cannot be checked (${decision.message})` };
    case 'block':
      audit('statement.blocked', 'blocked', decision.rule.id, { rule: decision.rule.name, reason: decision.reason });
      return {
        ok: false,
        message: `Postern: ${what(label, command)} blocked by rule "${decision.rule.name}": ${decision.reason}`,
      };
    case 'hold': {
      const { rule } = decision;
      const { reviewId, outcome } = context.requestApproval({ rule, command: shown });
      audit('statement.held', 'held', rule.id, { reviewId, reason: decision.reason });
      notify(
        `Postern: ${what(label, command)} held for approval by rule "${rule.name}" (${decision.reason}); review ${reviewId}`,
      );
      const result = await outcome;
      const details = { reviewId, decidedBy: result.decidedBy, comment: result.comment };
      if (result.outcome === 'approved') {
        audit('statement.approved', 'approved', rule.id, details);
        notify(`Postern: approved by ${result.decidedBy || 'a reviewer'}`);
        return { ok: true };
      }
      if (result.outcome !== 'cancelled') audit(`statement.${result.outcome}`, result.outcome, rule.id, details);
      const why =
        result.outcome === 'rejected'
          ? `rejected by ${result.decidedBy || 'a reviewer'}${result.comment ? `: ${result.comment}` : ''}`
          : result.outcome === 'expired'
            ? 'no decision in time'
            : `cancelled${result.comment ? `: ${result.comment}` : ''}`;
      return { ok: false, message: `Postern: ${what(label, command)} not allowed: ${why} (review ${reviewId})` };
    }
  }
}

/** "command", or the channel request's label ("interactive shell", "sftp", …). */
function what(label: string, command: string): string {
  return label === command ? 'command' : label;
}
