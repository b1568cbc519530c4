import type { CommandAnalyser, CommandAnalysis, CommandFacts, FunctionRef, QualifiedName } from '@postern/policy';
import { KUBERNETES_DIALECT } from './dialect.js';
import { KUBERNETES_KINDS, SUBRESOURCE_KINDS } from './kinds.js';
import { requestInfo, RequestInfoError, type KubernetesRequestInfo } from './request-info.js';

/** Longest request text analysed (method, path and query); longer ones are refused. */
export const MAX_REQUEST_TEXT = 16 * 1024;

export interface KubernetesRequestFacts extends CommandFacts {
  readonly request: KubernetesRequestInfo;
}

/**
 * One request (`METHOD url`, see requestText) as command facts: kinds [pod-access kind?, VERB],
 * relations the resource in every spelling a rule may use, schemas the namespace, functions the
 * object's name. Never throws; a path the API server might read differently is `uncheckable`.
 */
export function analyzeRequest(text: string): CommandAnalysis<KubernetesRequestFacts> {
  const space = text.indexOf(' ');
  if (space <= 0 || text.length > MAX_REQUEST_TEXT) return refused('not a request line', null);
  let info: KubernetesRequestInfo;
  try {
    info = requestInfo(text.slice(0, space), text.slice(space + 1));
  } catch (error) {
    if (error instanceof RequestInfoError) return refused(error.message, space + 1);
    return refused(`analysis failed: ${error instanceof Error ? error.message : String(error)}`, null);
  }
  const facts = requestFacts(info);
  return { ok: true, statements: [facts], all: [facts] };
}

export function requestFacts(info: KubernetesRequestInfo): KubernetesRequestFacts {
  const kinds: string[] = [];
  if (!info.isResourceRequest) kinds.push(KUBERNETES_KINDS.NONRESOURCE);
  const special = info.subresource === '' ? undefined : SUBRESOURCE_KINDS[info.subresource];
  if (special !== undefined) kinds.push(special);
  kinds.push(info.verb.toUpperCase());
  const relations: QualifiedName[] = [];
  if (info.resource !== '') {
    const names = [info.resource];
    if (info.apiGroup !== '') names.push(`${info.resource}.${info.apiGroup}`);
    for (const resource of [...names]) if (info.subresource !== '') names.push(`${resource}/${info.subresource}`);
    for (const name of names) relations.push({ schema: null, name });
  }
  const functions: FunctionRef[] =
    info.name === '' ? [] : [{ schema: null, name: info.name, attributeNotation: false, builtin: true }];
  return {
    kinds,
    relations,
    schemas: info.namespace === '' ? [] : [info.namespace],
    functions,
    missingWhere: false,
    copyProgram: false,
    unresolvedDynamicSql: false,
    via: null,
    request: info,
  };
}

function refused(message: string, position: number | null): CommandAnalysis<KubernetesRequestFacts> {
  return { ok: false, message, position, uncheckable: true };
}

/** The `kubernetes` dialect's analyser: request lines are cheap to read, so nothing is cached. */
export function kubernetesAnalyser(): CommandAnalyser<KubernetesRequestFacts> {
  return { dialect: KUBERNETES_DIALECT, analyze: analyzeRequest };
}
