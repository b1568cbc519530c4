// Policy deltas (PolicyUpdate): the control plane diffs the snapshot an agent holds against the
// one it compiled now; the agent applies the difference. Pure functions, no I/O.
import type { PolicySnapshot, PolicySnapshot__Output } from './generated/postern/agent/v1/PolicySnapshot.js';
import type { PolicyUpdate, PolicyUpdate__Output } from './generated/postern/agent/v1/PolicyUpdate.js';

/** Each keyed list of a snapshot, the PolicyUpdate field naming its removals, and its key. */
const LISTS = [
  ['connections', 'removedConnectionIds', 'id'],
  ['accessRules', 'removedAccessRuleIds', 'id'],
  ['guardrails', 'removedGuardrailIds', 'id'],
  ['maskingRules', 'removedMaskingRuleIds', 'id'],
  ['approvalRules', 'removedApprovalRuleIds', 'id'],
  ['grants', 'removedGrantIds', 'id'],
  ['credentials', 'removedCredentialIds', 'id'],
  ['sshKeys', 'removedSshKeyIds', 'id'],
  ['revokedPrincipals', 'removedRevokedPrincipalIds', 'principalId'],
] as const;

type ListName = (typeof LISTS)[number][0];
type RemovalName = (typeof LISTS)[number][1];
type Item = Record<string, unknown>;

function keyOf(item: Item, key: string): string {
  return String(item[key] ?? '');
}

/** Items compare by their canonical JSON; both snapshots come from the same compiler. */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The delta that turns `base` into `next`: every item of `next` that is new or differs from
 * its namesake in `base` is upserted; every item of `base` missing from `next` is removed.
 */
export function diffPolicy(base: PolicySnapshot, next: PolicySnapshot): PolicyUpdate {
  const upserts: PolicySnapshot = { version: next.version, generatedAt: next.generatedAt ?? null };
  const update: PolicyUpdate = { baseVersion: base.version, version: next.version, upserts };
  for (const [list, removal, key] of LISTS) {
    const before = new Map(((base[list] ?? []) as Item[]).map((item) => [keyOf(item, key), item]));
    const after = (next[list] ?? []) as Item[];
    const changed = after.filter((item) => {
      const previous = before.get(keyOf(item, key));
      return previous === undefined || !same(previous, item);
    });
    const kept = new Set(after.map((item) => keyOf(item, key)));
    (upserts as Record<ListName, Item[]>)[list] = changed;
    (update as Record<RemovalName, string[]>)[removal] = [...before.keys()].filter((id) => !kept.has(id));
  }
  if (!same(base.identity ?? null, next.identity ?? null)) upserts.identity = next.identity ?? null;
  return update;
}

/** True when the delta changes nothing but the version (and generation time). */
export function isEmptyUpdate(update: PolicyUpdate): boolean {
  return (
    LISTS.every(
      ([list, removal]) =>
        ((update.upserts?.[list] as unknown[] | undefined)?.length ?? 0) === 0 &&
        ((update[removal] as unknown[] | undefined)?.length ?? 0) === 0,
    ) && !update.upserts?.identity
  );
}

export class PolicyBaseMismatchError extends Error {}

/**
 * Applies a delta received on the wire to the snapshot the agent holds. Items keep their place;
 * upserted items replace their namesakes in place and new ones are appended in the order sent.
 * Throws PolicyBaseMismatchError when the delta was computed against another version.
 */
export function applyPolicyUpdate(
  base: PolicySnapshot__Output | null,
  update: PolicyUpdate__Output,
): PolicySnapshot__Output {
  if (!base || base.version !== update.baseVersion) {
    throw new PolicyBaseMismatchError(
      `policy update from version ${update.baseVersion} cannot apply to version ${base?.version ?? 'none'}`,
    );
  }
  const upserts = update.upserts;
  const result: PolicySnapshot__Output = {
    ...base,
    version: update.version,
    generatedAt: upserts?.generatedAt ?? base.generatedAt,
    identity: upserts?.identity ?? base.identity,
  };
  for (const [list, removal, key] of LISTS) {
    const removed = new Set(update[removal]);
    const incoming = new Map(((upserts?.[list] ?? []) as unknown as Item[]).map((item) => [keyOf(item, key), item]));
    const merged: Item[] = [];
    for (const item of (base[list] ?? []) as unknown as Item[]) {
      const id = keyOf(item, key);
      if (removed.has(id)) continue;
      const replacement = incoming.get(id);
      incoming.delete(id);
      merged.push(replacement ?? item);
    }
    // Upserts first, then removals: an id in both ends up removed.
    for (const [id, item] of incoming) if (!removed.has(id)) merged.push(item);
    (result as unknown as Record<ListName, Item[]>)[list] = merged;
  }
  return result;
}
