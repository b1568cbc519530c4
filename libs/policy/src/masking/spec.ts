import { z } from 'zod';
import { PolicySpecError } from '../errors.js';
import type { DetectorName, MaskingSpec } from './contract.js';
import { DETECTOR_NAMES } from './detectors/index.js';
import { customRegexProblem } from './regex-safety.js';

/**
 * A column pattern: `column`, `table.column` or `schema.table.column`, each part an identifier
 * as PostgreSQL reports it (letters, digits, `_`, `$`) where `*` stands for any run of
 * characters. Matching ignores case.
 */
const COLUMN_PATTERN = /^[\p{L}\p{N}_$*]+(?:\.[\p{L}\p{N}_$*]+){0,2}$/u;
const MAX_COLUMN_PATTERN = 200;

const columnPattern = z
  .string()
  .max(MAX_COLUMN_PATTERN, `must be at most ${MAX_COLUMN_PATTERN} characters`)
  .regex(COLUMN_PATTERN, 'must be column, table.column or schema.table.column (letters, digits, _, $, * wildcards)');

const customPattern = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 letters, digits, _, . or -'),
  regex: z.string().superRefine((source, ctx) => {
    const problem = customRegexProblem(source);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  }),
});

const maskingSpec = z
  .strictObject({
    columns: z.array(columnPattern).max(256).optional(),
    detectors: z
      .array(z.enum(DETECTOR_NAMES as [DetectorName, ...DetectorName[]]))
      .max(DETECTOR_NAMES.length * 2)
      .optional(),
    customPatterns: z.array(customPattern).max(32).optional(),
    style: z.enum(['redact', 'partial', 'hash']),
  })
  .superRefine((spec, ctx) => {
    if (!spec.columns?.length && !spec.detectors?.length && !spec.customPatterns?.length) {
      ctx.addIssue({ code: 'custom', message: 'needs at least one of columns, detectors or customPatterns' });
    }
  });

/** Validates a rule body from the API or the wire. Throws PolicySpecError naming the field. */
export function parseMaskingSpec(spec: unknown): MaskingSpec {
  const parsed = maskingSpec.safeParse(spec);
  if (parsed.success) return stripUndefined(parsed.data);
  const issue = parsed.error.issues[0]!;
  // An unknown key is reported on its object: name the key itself.
  const keys = issue.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [];
  const path = fieldPath([...issue.path, ...keys]);
  throw new PolicySpecError(path === '' ? issue.message : `${path}: ${issue.message}`, path);
}

/** `["customPatterns", 0, "regex"]` → `customPatterns[0].regex`. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out === '' ? String(key) : `${out}.${String(key)}`),
    '',
  );
}

function stripUndefined(spec: z.infer<typeof maskingSpec>): MaskingSpec {
  const out: MaskingSpec = { style: spec.style };
  if (spec.columns !== undefined) out.columns = spec.columns;
  if (spec.detectors !== undefined) out.detectors = [...new Set(spec.detectors)];
  if (spec.customPatterns !== undefined) out.customPatterns = spec.customPatterns;
  return out;
}
