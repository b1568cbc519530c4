import { performance } from 'node:perf_hooks';

/**
 * Custom patterns run over every text value of every row, in the agent's only thread: one
 * pattern that backtracks catastrophically would stall every session. So a custom regex is
 * accepted only when it:
 * - is at most MAX_SOURCE_LENGTH characters and compiles with the `u` flag (strict syntax,
 *   code-point semantics, `\p{…}` classes); it always runs with `gu`;
 * - has no backreference and no lookbehind (`\1`, `\k<n>`, `(?<=`, `(?<!`);
 * - never repeats a group that itself contains a quantifier or an alternation (`(a+)+`,
 *   `(\w+\s?)*`, `(a|ab){2,}` — write `[ab]+`, or bound and flatten the group);
 * - has at most MAX_LARGE_QUANTIFIERS quantifiers that are unbounded or allow more than
 *   LARGE_QUANTIFIER repetitions (`\d+`, `.*`, `{1,100}`);
 * - cannot match the empty string;
 * - and, as a backstop, stays fast on adversarial inputs (long runs of the characters it
 *   mentions): a probe at validation time rejects it when its time grows faster than linear.
 */
export const MAX_SOURCE_LENGTH = 512;
const MAX_LARGE_QUANTIFIERS = 2;
const LARGE_QUANTIFIER = 32;

/**
 * Why `source` is refused, or null when it is accepted. `probe: false` skips the timing probe
 * (for re-checks of a source that already passed it when its rule was written).
 */
export function customRegexProblem(source: string, options: { probe?: boolean } = {}): string | null {
  if (source.length === 0) return 'must not be empty';
  if (source.length > MAX_SOURCE_LENGTH) return `must be at most ${MAX_SOURCE_LENGTH} characters`;
  let regex: RegExp;
  try {
    regex = new RegExp(source, 'gu');
  } catch (error) {
    return `does not compile with the u flag: ${(error as Error).message}`;
  }
  const shape = shapeProblem(source);
  if (shape !== null) return shape;
  if (new RegExp(`^(?:${source})$`, 'u').test('')) return 'must not match the empty string';
  return options.probe === false ? null : probeProblem(regex, source);
}

/** A compiled custom pattern; call only with a source `customRegexProblem` accepted. */
export function compileCustomRegex(source: string): RegExp {
  return new RegExp(source, 'gu');
}

interface GroupFrame {
  quantified: boolean; // contains a quantifier, at any depth
  alternation: boolean; // contains `|`, at any depth
}

/** A conservative static walk over the (already compiled, so well-formed) source. */
function shapeProblem(source: string): string | null {
  const stack: GroupFrame[] = [{ quantified: false, alternation: false }];
  let lastGroup: GroupFrame | null = null; // the group just closed, if the last atom was a group
  let large = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    const top = stack[stack.length - 1]!;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'must not use backreferences';
      i += /[pPu]/.test(next) && source[i + 2] === '{' ? source.indexOf('}', i) - i : 1;
      lastGroup = null;
      continue;
    }
    if (c === '[') {
      i = classEnd(source, i);
      lastGroup = null;
      continue;
    }
    if (c === '(') {
      if (source.startsWith('(?<=', i) || source.startsWith('(?<!', i)) return 'must not use lookbehind';
      stack.push({ quantified: false, alternation: false });
      lastGroup = null;
      // Skip the group's kind (`?:`, `?=`, `?!`, `?<name>`), whose `?` is not a quantifier.
      if (source[i + 1] === '?') i = source[i + 2] === '<' ? source.indexOf('>', i) : i + 2;
      continue;
    }
    if (c === ')') {
      lastGroup = stack.pop()!;
      const parent = stack[stack.length - 1]!;
      parent.quantified ||= lastGroup.quantified;
      parent.alternation ||= lastGroup.alternation;
      continue;
    }
    if (c === '|') {
      top.alternation = true;
      lastGroup = null;
      continue;
    }
    const quantifier = quantifierAt(source, i);
    if (quantifier === null) {
      lastGroup = null;
      continue;
    }
    if (lastGroup !== null && quantifier.max > 1) {
      // Repeating a group is only dangerous if the group can match in more than one way.
      if (lastGroup.quantified) return 'must not repeat a group that contains a quantifier (nested quantifiers)';
      if (lastGroup.alternation) return 'must not repeat a group that contains an alternation (use a character class)';
    }
    if (quantifier.max > LARGE_QUANTIFIER) large++;
    if (large > MAX_LARGE_QUANTIFIERS) {
      return `must have at most ${MAX_LARGE_QUANTIFIERS} unbounded or large (over ${LARGE_QUANTIFIER}) quantifiers`;
    }
    // An exact count (`{3}`) leaves the engine no choice to backtrack over.
    if (quantifier.max > quantifier.min) top.quantified = true;
    lastGroup = null;
    i = quantifier.end - 1;
  }
  return null;
}

/** Index of the `]` closing the class opened at `open`. */
function classEnd(source: string, open: number): number {
  for (let i = open + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === ']') return i; // with the u flag, `[]` is an empty class: no special first `]`
  }
  return source.length;
}

function quantifierAt(source: string, i: number): { min: number; max: number; end: number } | null {
  const c = source[i];
  let min = 0;
  let max: number;
  let end = i + 1;
  if (c === '*' || c === '+') {
    min = c === '+' ? 1 : 0;
    max = Infinity;
  } else if (c === '?') {
    max = 1;
  } else if (c === '{') {
    const braces = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
    if (braces === null) return null;
    min = Number(braces[1]);
    max = braces[2] === undefined ? min : braces[3] === '' ? Infinity : Number(braces[3]);
    end = i + braces[0].length;
  } else {
    return null;
  }
  if (source[end] === '?') end++; // lazy
  return { min, max, end };
}

/**
 * Input sizes of the probe, and the time each may take: a linear budget plus a noise floor. A
 * linear pattern scans 16 KiB in well under a millisecond once compiled; a quadratic one needs
 * 100 ms or more there, so the budget can be generous about a loaded host (exponential shapes
 * never reach the probe: they are refused from their syntax above).
 */
const PROBE_SIZES = [256, 2048, 16384];
const PROBE_FLOOR_MS = 5;
const PROBE_MS_PER_CHAR = 0.001;

/**
 * Runs the regex over long runs of each character it mentions (and a few common ones), small
 * inputs first so that a super-linear pattern is caught before an input large enough to hang.
 */
function probeProblem(regex: RegExp, source: string): string | null {
  // V8 interprets a new regex for its first runs and compiles it after: time the compiled one.
  for (let run = 0; run < 3; run++) timeAllMatches(regex, 'a0 A-'.repeat(8));
  const alphabet = new Set(['a', 'A', '0', ' ', '-', '.', '_', '@', '\n']);
  for (const c of source) if (c >= ' ' && c <= '~' && !'\\^$|()[]{}*+?'.includes(c)) alphabet.add(c);
  const seeds = [...alphabet, 'a0', 'aA', '0 ', 'a ', 'a-', '0.', 'a@'];
  for (const size of PROBE_SIZES) {
    const budget = PROBE_FLOOR_MS + size * PROBE_MS_PER_CHAR;
    for (const seed of seeds) {
      const input = seed.repeat(Math.ceil(size / seed.length)).slice(0, size);
      if (slowerThan(regex, input, budget)) {
        return `too slow on adversarial input (${size} × ${JSON.stringify(seed)}): bound its quantifiers`;
      }
    }
  }
  return null;
}

/**
 * Whether every one of three runs takes longer than `budget`. Being descheduled, a garbage
 * collection or a busy machine only ever make a run slower, so the fastest run is the one that
 * says what the pattern costs; a linear pattern is not refused because the host was loaded.
 */
function slowerThan(regex: RegExp, input: string, budget: number): boolean {
  for (let run = 0; run < 3; run++) {
    const took = timeAllMatches(regex, input);
    if (took <= budget) return false;
    // Ten times over is the pattern, not the host: no need to wait for it twice more.
    if (took > Math.max(budget * 10, 100)) return true;
  }
  return true;
}

function timeAllMatches(regex: RegExp, input: string): number {
  const started = performance.now();
  regex.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = regex.exec(input)) !== null) if (match[0].length === 0) regex.lastIndex++;
  return performance.now() - started;
}
