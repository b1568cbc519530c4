/*
 * Masking rules of the `kubernetes` dialect, on ConfigMaps and pod logs. A rule's `columns`
 * patterns name ConfigMap keys the way column patterns name columns — `db_url` (that key in any
 * ConfigMap), `settings.db_url` (in the ConfigMap `settings`), `prod.settings.db_url` (in the
 * namespace `prod`) — and mask the whole value; its detectors and custom patterns run over every
 * other `data` value and over every line of `pods/log`. Values of `binaryData` under a key a rule
 * names are replaced whole (detectors do not read base64). kubectl's last-applied annotation, a
 * copy of the object, is masked the same way. Pure: documents and text in, documents and text out.
 */
import {
  type ColumnRef,
  type CompiledMaskingRule,
  DetectionEngine,
  detectionEntries,
  Hasher,
  maskWholeString,
  STYLE_STRENGTH,
} from '@postern/policy';
import { MASKED_BASE64 } from './secret-masking.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const MAX_DEPTH = 64;

type JsonObject = { [key: string]: unknown };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One response's (or one log stream's) masker; counts are per instance. */
export class KubernetesValueMasker {
  /** Values masked per rule, in the order of `rules`. */
  readonly counts: Float64Array;
  private readonly hasher: Hasher;
  private readonly detection: DetectionEngine;

  constructor(
    private readonly rules: readonly CompiledMaskingRule[],
    hashKey: Buffer,
  ) {
    this.counts = new Float64Array(rules.length);
    this.hasher = new Hasher(hashKey);
    this.detection = new DetectionEngine(detectionEntries(rules), this.hasher, this.counts);
  }

  /** Whether any rule has detectors or custom patterns (else log lines pass as they are). */
  get detects(): boolean {
    return this.detection.active;
  }

  get total(): number {
    return this.counts.reduce((sum, count) => sum + count, 0);
  }

  /** A log line (or any text) with what the detectors find masked, or undefined when nothing matched. */
  maskText(text: string): string | undefined {
    return this.detection.active ? this.detection.rewrite(text) : undefined;
  }

  /**
   * Masks every ConfigMap in `document` in place; returns how many values were masked.
   * `configMapsRequest`: objects without a kind (list items, watch events' objects) are ConfigMaps.
   */
  maskConfigMaps(document: unknown, configMapsRequest: boolean): number {
    const before = this.total;
    this.walk(document, configMapsRequest, 0);
    return this.total - before;
  }

  /** Parses, masks and re-serialises a JSON document; null when nothing changed. Throws on non-JSON. */
  maskConfigMapsInJson(text: string, configMapsRequest: boolean): { text: string; masked: number } | null {
    const document: unknown = JSON.parse(text);
    const masked = this.maskConfigMaps(document, configMapsRequest);
    return masked === 0 ? null : { text: JSON.stringify(document), masked };
  }

  private walk(value: unknown, assumeConfigMap: boolean, depth: number): void {
    if (depth > MAX_DEPTH) return;
    if (Array.isArray(value)) {
      for (const item of value) this.walk(item, false, depth + 1);
      return;
    }
    if (!isObject(value)) return;
    const kind = typeof value.kind === 'string' ? value.kind : null;
    if (kind === 'ConfigMap' || (kind === null && assumeConfigMap)) this.maskConfigMap(value);
    const itemsAreConfigMaps =
      kind === 'ConfigMapList' || (assumeConfigMap && (kind === null || kind.endsWith('List')));
    for (const [key, child] of Object.entries(value)) {
      if (key === 'items' && Array.isArray(child)) {
        for (const item of child) this.walk(item, itemsAreConfigMaps, depth + 1);
      } else if (key === 'object' && isObject(child)) {
        this.walk(child, assumeConfigMap, depth + 1);
      } else if (key !== 'data' && key !== 'binaryData') {
        this.walk(child, false, depth + 1);
      }
    }
  }

  private maskConfigMap(configMap: JsonObject): void {
    const metadata = isObject(configMap.metadata) ? configMap.metadata : {};
    const table = {
      schema: typeof metadata.namespace === 'string' ? metadata.namespace : '',
      name: typeof metadata.name === 'string' ? metadata.name : '',
    };
    const data = configMap.data;
    if (isObject(data)) {
      for (const [key, value] of Object.entries(data)) {
        if (typeof value !== 'string') continue;
        const rule = this.ruleFor({ name: key, table });
        if (rule >= 0) {
          this.counts[rule]!++;
          data[key] = maskWholeString(this.rules[rule]!.style, this.hasher, value);
        } else {
          const rewritten = this.maskText(value);
          if (rewritten !== undefined) data[key] = rewritten;
        }
      }
    }
    const binary = configMap.binaryData;
    if (isObject(binary)) {
      for (const key of Object.keys(binary)) {
        const rule = this.ruleFor({ name: key, table });
        if (rule < 0) continue;
        this.counts[rule]!++;
        binary[key] = MASKED_BASE64;
      }
    }
    const annotations = metadata.annotations;
    const lastApplied = isObject(annotations) ? annotations[LAST_APPLIED] : undefined;
    if (isObject(annotations) && typeof lastApplied === 'string') {
      try {
        const applied: unknown = JSON.parse(lastApplied);
        const before = this.total;
        if (isObject(applied)) this.maskConfigMap(applied);
        if (this.total > before) annotations[LAST_APPLIED] = JSON.stringify(applied);
      } catch {
        // Not JSON: kubectl wrote it, a rule may still name what it holds.
        const rewritten = this.maskText(lastApplied);
        if (rewritten !== undefined) annotations[LAST_APPLIED] = rewritten;
      }
    }
  }

  /** The strongest rule naming this key, or -1. */
  private ruleFor(column: ColumnRef): number {
    let best = -1;
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i]!;
      if (!rule.columns.some((matcher) => matcher.matches(column))) continue;
      if (best < 0 || STYLE_STRENGTH[rule.style] > STYLE_STRENGTH[this.rules[best]!.style]) best = i;
    }
    return best;
  }
}
