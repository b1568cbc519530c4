/*
 * Discovery documents of the stand-in API server (see stand-in-apiserver.ts): the legacy
 * (non-aggregated) form, which kubectl 1.32 still accepts when the server does not answer its
 * `as=APIGroupDiscoveryList` Accept, with the handful of resources the stand-in serves.
 */

export interface ResourceDef {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  subresources?: string[];
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const RESOURCES: readonly ResourceDef[] = [
  { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'] },
  {
    group: '',
    version: 'v1',
    resource: 'pods',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    subresources: ['exec', 'log', 'portforward', 'attach', 'ephemeralcontainers', 'status'],
  },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] },
  { group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'] },
  {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
    subresources: ['scale', 'status'],
  },
];

export function findResource(group: string, version: string, resource: string): ResourceDef | undefined {
  return RESOURCES.find((def) => def.group === group && def.version === version && def.resource === resource);
}

export function apiVersions(): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }],
  };
}

export function apiGroupList(): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [
      {
        name: 'apps',
        versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
        preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
      },
    ],
  };
}

export function resourceList(group: string, version: string): object | null {
  const defs = RESOURCES.filter((def) => def.group === group && def.version === version);
  if (defs.length === 0) return null;
  const resources: object[] = [];
  for (const def of defs) {
    resources.push({
      name: def.resource,
      singularName: def.kind.toLowerCase(),
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: VERBS,
      ...(def.shortNames ? { shortNames: def.shortNames } : {}),
    });
    for (const sub of def.subresources ?? []) {
      resources.push({
        name: `${def.resource}/${sub}`,
        singularName: '',
        namespaced: def.namespaced,
        kind:
          sub === 'scale'
            ? 'Scale'
            : sub === 'exec' || sub === 'portforward' || sub === 'attach'
              ? 'PodExecOptions'
              : def.kind,
        verbs:
          sub === 'log'
            ? ['get']
            : sub === 'exec' || sub === 'attach' || sub === 'portforward'
              ? ['create', 'get']
              : ['get', 'patch', 'update'],
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources,
  };
}

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-postern-stand-in',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/**
 * OpenAPI v3 as far as kubectl 1.32's `apply`/`create` need it: the root lists one document per
 * group version, and each document's PATCH/POST operations say that they take `fieldValidation`,
 * so kubectl leaves validation to the server instead of downloading schemas (the stand-in has
 * none).
 */
export function openApiRoot(): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of new Set(
    RESOURCES.map((def) => (def.group === '' ? `api/${def.version}` : `apis/${def.group}/${def.version}`)),
  )) {
    paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=STANDIN` };
  }
  return { paths };
}

export function openApiDocument(groupVersionPath: string): object | null {
  const defs = RESOURCES.filter(
    (def) => (def.group === '' ? `api/${def.version}` : `apis/${def.group}/${def.version}`) === groupVersionPath,
  );
  if (defs.length === 0) return null;
  const paths: Record<string, object> = {};
  const param = [{ name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } }];
  for (const def of defs) {
    const gvk = { group: def.group, version: def.version, kind: def.kind };
    const base = `/${groupVersionPath}${def.namespaced ? '/namespaces/{namespace}' : ''}/${def.resource}`;
    paths[base] = {
      post: { 'x-kubernetes-group-version-kind': gvk, 'x-kubernetes-action': 'post', parameters: param, responses: {} },
    };
    paths[`${base}/{name}`] = {
      patch: {
        'x-kubernetes-group-version-kind': gvk,
        'x-kubernetes-action': 'patch',
        parameters: param,
        responses: {},
      },
      put: { 'x-kubernetes-group-version-kind': gvk, 'x-kubernetes-action': 'put', parameters: param, responses: {} },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes (Postern stand-in)', version: 'v1.32.0' },
    paths,
    components: { schemas: {} },
  };
}
