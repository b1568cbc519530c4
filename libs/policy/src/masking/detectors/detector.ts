import type { DetectorName } from '../contract.js';

/**
 * Receives each validated match: [start, end) in UTF-16 units of the scanned text, and the
 * canonical form that `hash` hashes (a card without separators, an email in lower case), so
 * that one value written two ways still hashes the same.
 */
export type MatchSink = (start: number, end: number, canonical: string) => void;

export interface Detector {
  readonly name: DetectorName;
  /** The prefilter bit (./prefilter.ts) that must be set for `scan` to have a chance. */
  readonly candidate: number;
  scan(text: string, found: MatchSink): void;
}

/**
 * Runs a global regex over `text` from the start. Regexes here are module singletons: resetting
 * lastIndex first makes each scan independent (everything runs synchronously).
 */
export function eachMatch(regex: RegExp, text: string, visit: (match: RegExpExecArray) => void): void {
  regex.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = regex.exec(text)) !== null) {
    if (match[0].length === 0) regex.lastIndex++;
    else visit(match);
  }
}

/** Luhn's checksum over a string of digits (cards, Canadian SINs). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 0x30;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

export function digitsOf(text: string): string {
  return text.replace(/\D/g, '');
}
