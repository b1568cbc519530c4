import type { KubeObject } from './store.js';

/** Server-side printing (`Accept: …;as=Table`), as kubectl's `get` and `get -o wide` ask for it. */
interface Column {
  name: string;
  type: string;
  priority: number;
  cell: (object: KubeObject) => string | number;
}

function age(object: KubeObject): string {
  const created = Date.parse(object.metadata.creationTimestamp ?? '');
  if (Number.isNaN(created)) return '<unknown>';
  const seconds = Math.max(0, Math.round((Date.now() - created) / 1000));
  return seconds < 120 ? `${seconds}s` : `${Math.round(seconds / 60)}m`;
}

const NAME: Column = { name: 'Name', type: 'string', priority: 0, cell: (o) => o.metadata.name };
const AGE: Column = { name: 'Age', type: 'string', priority: 0, cell: age };

const spec = (o: KubeObject) => (o.spec ?? {}) as Record<string, unknown>;
const status = (o: KubeObject) => (o.status ?? {}) as Record<string, unknown>;

const COLUMNS: Readonly<Record<string, Column[]>> = {
  pods: [
    NAME,
    {
      name: 'Ready',
      type: 'string',
      priority: 0,
      cell: (o) =>
        `${((spec(o).containers as unknown[]) ?? []).length}/${((spec(o).containers as unknown[]) ?? []).length}`,
    },
    { name: 'Status', type: 'string', priority: 0, cell: (o) => String(status(o).phase ?? 'Running') },
    { name: 'Restarts', type: 'integer', priority: 0, cell: () => 0 },
    AGE,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => String(status(o).podIP ?? '<none>') },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => String(spec(o).nodeName ?? '<none>') },
  ],
  secrets: [
    NAME,
    { name: 'Type', type: 'string', priority: 0, cell: (o) => String(o.type ?? 'Opaque') },
    { name: 'Data', type: 'integer', priority: 0, cell: (o) => Object.keys((o.data as object) ?? {}).length },
    AGE,
  ],
  configmaps: [
    NAME,
    { name: 'Data', type: 'integer', priority: 0, cell: (o) => Object.keys((o.data as object) ?? {}).length },
    AGE,
  ],
  deployments: [
    NAME,
    { name: 'Ready', type: 'string', priority: 0, cell: (o) => `${spec(o).replicas ?? 1}/${spec(o).replicas ?? 1}` },
    { name: 'Up-to-date', type: 'integer', priority: 0, cell: (o) => Number(spec(o).replicas ?? 1) },
    { name: 'Available', type: 'integer', priority: 0, cell: (o) => Number(spec(o).replicas ?? 1) },
    AGE,
  ],
  namespaces: [NAME, { name: 'Status', type: 'string', priority: 0, cell: () => 'Active' }, AGE],
};

export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').includes('as=Table');
}

export function toTable(
  resource: string,
  objects: KubeObject[],
  includeObject: string,
  resourceVersion: string,
): object {
  const columns = COLUMNS[resource] ?? [NAME, AGE];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.name === 'Name' ? 'name' : '',
      description: c.name,
      priority: c.priority,
    })),
    rows: objects.map((object) => ({
      cells: columns.map((c) => c.cell(object)),
      object:
        includeObject === 'Object'
          ? object
          : includeObject === 'None'
            ? null
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata },
    })),
  };
}
