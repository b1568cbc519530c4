import type { CommandDialect, NameSyntax, QualifiedName } from '@postern/policy';
import { canonicalKubernetesKind } from './kinds.js';

/**
 * Resource names (`pods`, `deployments.apps`, `pods/exec`), namespaces and object names as a
 * rule writes them: one part each (dots and slashes belong to the name, as in kubectl's
 * `deployments.apps`), matched as written (Kubernetes names are lower case), `*` a wildcard.
 */
const PATTERN = /^[a-z0-9*][a-z0-9.*/_:-]*$/i;

export const KUBERNETES_NAMES: NameSyntax = {
  splitPattern: (text) => (PATTERN.test(text) ? [{ value: text, quoted: false }] : null),
  isValidUnquotedPart: (part) => PATTERN.test(part),
  fold: (identifier) => identifier,
  display: (name: QualifiedName) => name.name,
};

/**
 * The `kubernetes` dialect of libs/policy's match language. The neutral fields read:
 * `statementKinds` — verbs and pod-access kinds (kinds.ts); `relations` — resources, as
 * `pods`, `deployments.apps` (resource.group) and `pods/exec` (resource/subresource);
 * `schemas` — namespaces; `functions` — object names.
 */
export const KUBERNETES_DIALECT: CommandDialect = {
  name: 'kubernetes',
  canonicalKind: canonicalKubernetesKind,
  names: KUBERNETES_NAMES,
  describeVia: (via) => via,
};
