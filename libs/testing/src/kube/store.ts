import { EventEmitter } from 'node:events';

/** An object as the stand-in stores it: plain JSON with metadata.{name,namespace,resourceVersion…}. */
export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    creationTimestamp?: string;
    generation?: number;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
};

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

/** The stand-in's objects by resource key `group/resource`, namespace and name, with a resourceVersion clock. */
export class ObjectStore {
  private readonly objects = new Map<string, KubeObject>();
  private version = 1000;
  private uids = 0;
  readonly events = new EventEmitter();
  /**
   * Recent changes, as a real API server's watch cache keeps them: a watch from resourceVersion N
   * (kubectl's `get --watch` lists, then watches from the list's version) first receives every
   * change after N, so nothing made between its list and its watch is lost.
   */
  private readonly history: { type: string; event: WatchEvent }[] = [];

  constructor() {
    this.events.setMaxListeners(0);
  }

  get resourceVersion(): string {
    return String(this.version);
  }

  private key(type: string, namespace: string, name: string): string {
    return `${type}|${namespace}|${name}`;
  }

  get(type: string, namespace: string, name: string): KubeObject | undefined {
    const found = this.objects.get(this.key(type, namespace, name));
    return found === undefined ? undefined : structuredClone(found);
  }

  list(type: string, namespace: string): KubeObject[] {
    const prefix = `${type}|`;
    return [...this.objects.entries()]
      .filter(
        ([key, object]) => key.startsWith(prefix) && (namespace === '' || object.metadata.namespace === namespace),
      )
      .map(([, object]) => structuredClone(object))
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }

  put(type: string, object: KubeObject): { object: KubeObject; created: boolean } {
    const namespace = object.metadata.namespace ?? '';
    const key = this.key(type, namespace, object.metadata.name);
    const previous = this.objects.get(key);
    this.version += 1;
    const stored: KubeObject = structuredClone(object);
    stored.metadata.resourceVersion = String(this.version);
    stored.metadata.uid = previous?.metadata.uid ?? `00000000-0000-4000-8000-${String(++this.uids).padStart(12, '0')}`;
    stored.metadata.creationTimestamp =
      previous?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    stored.metadata.generation = (previous?.metadata.generation ?? 0) + 1;
    this.objects.set(key, stored);
    this.changed(type, { type: previous ? 'MODIFIED' : 'ADDED', object: structuredClone(stored) });
    return { object: structuredClone(stored), created: previous === undefined };
  }

  /** Changes of `type` after resourceVersion `since`, oldest first (what a watch from `since` replays). */
  changesSince(type: string, since: number): WatchEvent[] {
    return this.history
      .filter((entry) => entry.type === type && Number(entry.event.object.metadata.resourceVersion) > since)
      .map((entry) => structuredClone(entry.event));
  }

  private changed(type: string, event: WatchEvent): void {
    this.history.push({ type, event: structuredClone(event) });
    if (this.history.length > 1000) this.history.shift();
    this.events.emit(type, event);
  }

  delete(type: string, namespace: string, name: string): KubeObject | undefined {
    const key = this.key(type, namespace, name);
    const previous = this.objects.get(key);
    if (previous === undefined) return undefined;
    this.objects.delete(key);
    this.version += 1;
    previous.metadata.resourceVersion = String(this.version);
    this.changed(type, { type: 'DELETED', object: structuredClone(previous) });
    return structuredClone(previous);
  }
}

/** RFC 7386 JSON merge patch (strategic merge patches are applied the same way: lists replaced). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return structuredClone(patch);
  const result: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (key === '$patch' || key.startsWith('$setElementOrder') || key.startsWith('$retainKeys')) continue;
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}
