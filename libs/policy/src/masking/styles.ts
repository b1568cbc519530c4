import { createHmac } from 'node:crypto';
import type { MaskingStyle } from './contract.js';

/**
 * The three masking styles, for a whole value (column rules) and for a match inside a value
 * (detectors). Every output is made of `*`, `h:`, lowercase hex and characters kept from the
 * masked text itself, so it never introduces a quote, backslash, delimiter, brace or control
 * character: JSON strings, array literals, CSV/COPY fields and XML stay well formed.
 */

/** Column rules: a fixed token, so the output does not even reveal the value's length. */
export const WHOLE_REDACTION = '********';
/** Detector matches: short, and still fixed-length. */
export const MATCH_REDACTION = '****';
/** `partial` keeps this many trailing characters… */
const PARTIAL_KEEP = 4;
/** …of values at least this long; shorter ones are masked entirely. */
const PARTIAL_MIN_LENGTH = 8;
/** Bytes of the HMAC shown, as hex: 64 bits, enough to keep distinct values distinct. */
const HASH_HEX_CHARS = 16;
/** Hash results remembered per session: repeated values (joins, grouping) cost one lookup. */
const HASH_CACHE_LIMIT = 4096;

const STAR = 0x2a;
const STARS = Buffer.alloc(1024, STAR);
const WHOLE_REDACTION_BYTES = Buffer.from(WHOLE_REDACTION);

export const STYLE_STRENGTH: Record<MaskingStyle, number> = { redact: 3, hash: 2, partial: 1 };

/** Keyed, deterministic hashing: HMAC-SHA256, so values cannot be confirmed without the key. */
export class Hasher {
  private readonly byBytes = new Map<string, Buffer>();
  private readonly byString = new Map<string, string>();

  constructor(private readonly key: Buffer) {}

  /** The hash of raw bytes, as the bytes to send. */
  ofBytes(src: Buffer, start: number, end: number): Buffer {
    // latin1 maps bytes to code units one to one: a collision-free cache key for raw bytes.
    const cacheKey = src.toString('latin1', start, end);
    let out = this.byBytes.get(cacheKey);
    if (out === undefined) {
      out = Buffer.from(this.digest(src.subarray(start, end)), 'latin1');
      remember(this.byBytes, cacheKey, out);
    }
    return out;
  }

  ofString(value: string): string {
    let out = this.byString.get(value);
    if (out === undefined) {
      out = this.digest(value);
      remember(this.byString, value, out);
    }
    return out;
  }

  private digest(data: Buffer | string): string {
    return `h:${createHmac('sha256', this.key).update(data).digest('hex').slice(0, HASH_HEX_CHARS)}`;
  }
}

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= HASH_CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}

/** A whole value given as UTF-8 bytes (column rules on text values). */
export function maskWholeBytes(style: MaskingStyle, hasher: Hasher, src: Buffer, start: number, end: number): Buffer {
  switch (style) {
    case 'redact':
      return WHOLE_REDACTION_BYTES;
    case 'hash':
      return hasher.ofBytes(src, start, end);
    case 'partial':
      return partialBytes(src, start, end);
  }
}

/** A whole value given as a string (array elements, JSON documents). */
export function maskWholeString(style: MaskingStyle, hasher: Hasher, value: string): string {
  switch (style) {
    case 'redact':
      return WHOLE_REDACTION;
    case 'hash':
      return hasher.ofString(value);
    case 'partial':
      return partialString(value);
  }
}

/** A detector's match inside a value; `canonical` is what is hashed (e.g. a card without spaces). */
export function maskMatch(style: MaskingStyle, hasher: Hasher, match: string, canonical: string): string {
  switch (style) {
    case 'redact':
      return MATCH_REDACTION;
    case 'hash':
      return hasher.ofString(canonical);
    case 'partial':
      return partialString(match);
  }
}

/** `*` for every character but the last four (UTF-8 aware); all `*` for short values. */
function partialBytes(src: Buffer, start: number, end: number): Buffer {
  let chars = 0;
  for (let i = start; i < end; i++) if ((src[i]! & 0xc0) !== 0x80) chars++;
  if (chars < PARTIAL_MIN_LENGTH) return stars(chars);
  let tail = end;
  for (let kept = 0; kept < PARTIAL_KEEP;) if ((src[--tail]! & 0xc0) !== 0x80) kept++;
  const masked = chars - PARTIAL_KEEP;
  const out = Buffer.allocUnsafe(masked + (end - tail));
  // Byte loops: these stretches are short, and Buffer#copy of a slice costs more than the loop.
  for (let i = 0; i < masked; i++) out[i] = STAR;
  for (let i = tail, at = masked; i < end; i++, at++) out[at] = src[i]!;
  return out;
}

function stars(count: number): Buffer {
  return count <= STARS.length ? STARS.subarray(0, count) : Buffer.alloc(count, STAR);
}

function partialString(value: string): string {
  const chars = Array.from(value); // code points, so a surrogate pair is never split
  if (chars.length < PARTIAL_MIN_LENGTH) return '*'.repeat(chars.length);
  return '*'.repeat(chars.length - PARTIAL_KEEP) + chars.slice(-PARTIAL_KEEP).join('');
}
