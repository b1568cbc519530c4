import type { KubernetesRequestInfo } from '@postern/policy-kubernetes';
import type { EngineContext } from '../engine.js';
import type { StatusReason } from './status.js';

/** Longest request text kept in an audit event or review. */
const SHOWN = 2048;

export type RequestVerdict = { ok: true } | { ok: false; reason: StatusReason; message: string };

/**
 * The policy stage of one API request: `METHOD path?query` is read by the `kubernetes`
 * dialect (libs/policy-kubernetes: verb, resource, namespace, name as the API server reads them)
 * and either goes on, is refused with a Kubernetes 403 naming the rule, or waits for a human
 * decision (the client's request simply stays open). A path that cannot be read is refused.
 */
export async function admitRequest(
  text: string,
  info: KubernetesRequestInfo | null,
  context: EngineContext,
): Promise<RequestVerdict> {
  const policy = context.policy();
  const decision = policy.statements.evaluate(text);
  const shown = text.length > SHOWN ? `${text.slice(0, SHOWN)}…` : text;
  const what = info === null ? 'request' : describe(info);
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
      details: { request: shown, ...details },
    });
  switch (decision.action) {
    case 'allow':
      return { ok: true };
    case 'invalid':
      audit('statement.blocked', 'blocked', undefined, { reason: `cannot be checked: ${decision.message}` });
      return {
        ok: false,
        reason: 'BadRequest',
        message: `Postern: request refused: it cannot be checked (${decision.message})`,
      };
    case 'block':
      audit('statement.blocked', 'blocked', decision.rule.id, { rule: decision.rule.name, reason: decision.reason });
      return {
        ok: false,
        reason: 'Forbidden',
        message: `Postern: ${what} blocked by rule "${decision.rule.name}": ${decision.reason}`,
      };
    case 'hold': {
      const { rule } = decision;
      const { reviewId, outcome } = context.requestApproval({ rule, command: shown });
      audit('statement.held', 'held', rule.id, { reviewId, reason: decision.reason });
      context.logger.info({ reviewId, rule: rule.name }, `kubernetes request held for approval: ${shown}`);
      const result = await outcome;
      const details = { reviewId, decidedBy: result.decidedBy, comment: result.comment };
      if (result.outcome === 'approved') {
        audit('statement.approved', 'approved', rule.id, details);
        return { ok: true };
      }
      if (result.outcome !== 'cancelled') audit(`statement.${result.outcome}`, result.outcome, rule.id, details);
      const why =
        result.outcome === 'rejected'
          ? `rejected by ${result.decidedBy || 'a reviewer'}${result.comment ? `: ${result.comment}` : ''}`
          : result.outcome === 'expired'
            ? 'no decision in time'
            : `cancelled${result.comment ? `: ${result.comment}` : ''}`;
      return {
        ok: false,
        reason: 'Forbidden',
        message: `Postern: ${what} held by rule "${rule.name}" was not approved: ${why} (review ${reviewId})`,
      };
    }
  }
}

/** "delete deployments.apps "web" in namespace "prod"" */
export function describe(info: KubernetesRequestInfo): string {
  if (!info.isResourceRequest) return `${info.verb} ${info.path}`;
  const resource = `${info.resource}${info.apiGroup === '' ? '' : `.${info.apiGroup}`}${info.subresource === '' ? '' : `/${info.subresource}`}`;
  return `${info.verb} ${resource}${info.name === '' ? '' : ` "${info.name}"`}${info.namespace === '' ? '' : ` in namespace "${info.namespace}"`}`;
}
