import { BinaryArray } from './binary-array.js';
import {
  type DetectionEngine,
  type Hasher,
  MaskingError,
  type MaskingStyle,
  maskWholeBytes,
  maskWholeString,
} from '@postern/policy';
import type { Replacement } from './splice.js';
import { MalformedValue, rewriteArrayLiteral, rewriteJson, type LeafResult } from './structured-text.js';
import { arrayElementOid, classify, type ValueKind } from './type-oids.js';

/**
 * How one column's values are masked, chosen once per result (planRows/planCopy) from the
 * column's type, format and the rules that apply, so the per-row work is a virtual call.
 */
export interface ValuePlan {
  /** src[start, end) is the value: returns new bytes, null (SQL NULL) or undefined (unchanged). */
  mask(src: Buffer, start: number, end: number): Replacement;
}

export interface PlanContext {
  hasher: Hasher;
  engine: DetectionEngine;
  /** Values masked per session rule index. */
  counts: Float64Array;
}

/** The column rule that masks a whole column: its session index and style. */
export interface ColumnRule {
  rule: number;
  style: MaskingStyle;
}

const JSONB_VERSION = 1;

/** The plan for a column; null when none of its values can need masking. */
export function planValue(
  typeOid: number,
  format: 0 | 1,
  columnRule: ColumnRule | null,
  ctx: PlanContext,
): ValuePlan | null {
  const kind = classify(typeOid, format);
  if (columnRule !== null) return wholeValuePlan(kind, typeOid, columnRule, ctx);
  if (!ctx.engine.active) return null;
  return detectionPlan(kind, typeOid, ctx);
}

// ---------------------------------------------------------------- column rules: the whole value

function wholeValuePlan(kind: ValueKind, typeOid: number, column: ColumnRule, ctx: PlanContext): ValuePlan {
  switch (kind) {
    case 'text':
      return new WholeText(column, ctx);
    case 'json':
      return new WholeJson(column, ctx, false);
    case 'jsonb-binary':
      return new WholeJson(column, ctx, true);
    case 'text-array':
      return new TextArray(wholeLeaf(classify(arrayElementOid(typeOid)!, 0), column, ctx));
    case 'binary-array':
      return new BinaryArray(arrayElementOid(typeOid)!, (kind) => wholeValuePlan(kind, 0, column, ctx));
    default:
      // Numbers, dates, bytea, unknown binary layouts: no masked form of the type exists.
      return new ToNull(column.rule, ctx);
  }
}

/** Replaces a text value by the style's token (an empty string has nothing to hide). */
class WholeText implements ValuePlan {
  constructor(
    private readonly column: ColumnRule,
    private readonly ctx: PlanContext,
  ) {}

  mask(src: Buffer, start: number, end: number): Replacement {
    if (start === end) return undefined;
    this.ctx.counts[this.column.rule]!++;
    return maskWholeBytes(this.column.style, this.ctx.hasher, src, start, end);
  }
}

/** Replaces a JSON document by a JSON string holding the style's token: still valid JSON. */
class WholeJson implements ValuePlan {
  constructor(
    private readonly column: ColumnRule,
    private readonly ctx: PlanContext,
    private readonly versioned: boolean,
  ) {}

  mask(src: Buffer, start: number, end: number): Replacement {
    const from = this.versioned ? jsonbTextStart(src, start, end) : start;
    this.ctx.counts[this.column.rule]!++;
    const token = JSON.stringify(maskWholeString(this.column.style, this.ctx.hasher, src.toString('utf8', from, end)));
    return encodeJson(token, this.versioned);
  }
}

class ToNull implements ValuePlan {
  constructor(
    private readonly rule: number,
    private readonly ctx: PlanContext,
  ) {}

  mask(): Replacement {
    this.ctx.counts[this.rule]!++;
    return null;
  }
}

/** A column rule applied to one element of a text-format array. */
function wholeLeaf(kind: ValueKind, column: ColumnRule, ctx: PlanContext): (element: string) => LeafResult {
  return (element) => {
    if (kind === 'text' && element === '') return undefined;
    ctx.counts[column.rule]!++;
    if (kind === 'text') return maskWholeString(column.style, ctx.hasher, element);
    if (kind === 'json') return JSON.stringify(maskWholeString(column.style, ctx.hasher, element));
    return null;
  };
}

// ---------------------------------------------------------------- detectors: matches in place

function detectionPlan(kind: ValueKind, typeOid: number, ctx: PlanContext): ValuePlan | null {
  switch (kind) {
    case 'text':
      return new DetectText(ctx.engine);
    case 'json':
      return new DetectJson(ctx, false);
    case 'jsonb-binary':
      return new DetectJson(ctx, true);
    case 'scalar':
    case 'opaque':
      return new DetectToNull(ctx.engine, false);
    case 'inert':
      return ctx.engine.customOnly === 0 ? null : new DetectToNull(ctx.engine, true);
    case 'binary':
      return null; // binary numbers, dates, bytea…: not text, never inspected
    case 'text-array': {
      const elementKind = classify(arrayElementOid(typeOid)!, 0);
      if (elementKind === 'inert' && ctx.engine.customOnly === 0) return null;
      const json = elementKind === 'json';
      return new TextArray(
        detectedLeaf(elementKind, ctx),
        (src, start, end) => ctx.engine.candidates(src, start, end, json) !== 0,
      );
    }
    case 'binary-array': {
      const elementOid = arrayElementOid(typeOid)!;
      if (detectionPlan(classify(elementOid, 1), elementOid, ctx) === null) return null;
      return new BinaryArray(elementOid, (elementKind) => detectionPlan(elementKind, 0, ctx));
    }
  }
}

class DetectText implements ValuePlan {
  constructor(private readonly engine: DetectionEngine) {}

  mask(src: Buffer, start: number, end: number): Replacement {
    const bits = this.engine.candidates(src, start, end);
    if (bits === 0) return undefined;
    const masked = this.engine.rewrite(src.toString('utf8', start, end), bits);
    return masked === undefined ? undefined : Buffer.from(masked);
  }
}

/** Values with no masked form (int8 or numeric as text, unknown binary layouts): a hit gives NULL. */
class DetectToNull implements ValuePlan {
  constructor(
    private readonly engine: DetectionEngine,
    private readonly customOnly: boolean,
  ) {}

  mask(src: Buffer, start: number, end: number): Replacement {
    const bits = this.customOnly ? this.engine.customOnly : this.engine.candidates(src, start, end);
    if (bits === 0) return undefined;
    return this.engine.matches(src.toString('utf8', start, end), bits) ? null : undefined;
  }
}

/** Masks inside every JSON string and number; JSON that does not parse becomes NULL (fail closed). */
class DetectJson implements ValuePlan {
  constructor(
    private readonly ctx: PlanContext,
    private readonly versioned: boolean,
  ) {}

  mask(src: Buffer, start: number, end: number): Replacement {
    const from = this.versioned ? jsonbTextStart(src, start, end) : start;
    if (this.ctx.engine.candidates(src, from, end, true) === 0) return undefined;
    const masked = maskJsonLeaves(src.toString('utf8', from, end), this.ctx);
    return masked === undefined ? undefined : masked === null ? null : encodeJson(masked, this.versioned);
  }
}

function maskJsonLeaves(text: string, ctx: PlanContext): string | null | undefined {
  const engine = ctx.engine;
  try {
    return rewriteJson(
      text,
      (value) => engine.rewrite(value),
      (number) => engine.rewrite(number),
    );
  } catch (error) {
    if (!(error instanceof MalformedValue)) throw error;
    return null;
  }
}

/** A detector applied to one element of a text-format array. */
function detectedLeaf(kind: ValueKind, ctx: PlanContext): (element: string) => LeafResult {
  const engine = ctx.engine;
  switch (kind) {
    case 'text':
      return (element) => engine.rewrite(element);
    case 'json':
      return (element) => maskJsonLeaves(element, ctx);
    case 'inert':
      return (element) => (engine.matches(element, engine.customOnly) ? null : undefined);
    default:
      return (element) => (engine.matches(element) ? null : undefined); // no masked form: NULL
  }
}

/** A text-format array literal, masked element by element. */
class TextArray implements ValuePlan {
  constructor(
    private readonly maskElement: (element: string) => LeafResult,
    /** A cheap test of the raw bytes; false: no element can need masking, skip the parse. */
    private readonly worthParsing: (src: Buffer, start: number, end: number) => boolean = () => true,
  ) {}

  mask(src: Buffer, start: number, end: number): Replacement {
    if (!this.worthParsing(src, start, end)) return undefined;
    try {
      const masked = rewriteArrayLiteral(src.toString('utf8', start, end), this.maskElement);
      return masked === undefined ? undefined : Buffer.from(masked);
    } catch (error) {
      if (!(error instanceof MalformedValue)) throw error;
      return null; // not the literal PostgreSQL sends: fail closed
    }
  }
}

// ---------------------------------------------------------------- jsonb

function jsonbTextStart(src: Buffer, start: number, end: number): number {
  if (start === end || src[start] !== JSONB_VERSION) throw new MaskingError('unknown jsonb binary version');
  return start + 1;
}

function encodeJson(text: string, versioned: boolean): Buffer {
  if (!versioned) return Buffer.from(text);
  const out = Buffer.allocUnsafe(1 + Buffer.byteLength(text));
  out[0] = JSONB_VERSION;
  out.write(text, 1);
  return out;
}
