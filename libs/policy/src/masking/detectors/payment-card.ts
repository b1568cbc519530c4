import { type Detector, eachMatch, luhnValid } from './detector.js';
import { Candidate } from './prefilter.js';

/**
 * Card numbers: 13–19 digits, bare or grouped with single spaces or dashes, that pass Luhn's
 * check and start with an issuer prefix of a card network. Inside a longer run of digit groups,
 * every window that starts and ends on a group boundary is tried (`order 12 4111 1111 1111 1111`);
 * an ungrouped run longer than 19 digits is an identifier, not a card.
 */
const DIGIT_RUN = /(?<!\d)\d(?:[ -]?\d)*(?!\d)/g;
const MIN_DIGITS = 13;
const MAX_DIGITS = 19;

export const paymentCard: Detector = {
  name: 'payment_card',
  candidate: Candidate.card,
  scan(text, found) {
    eachMatch(DIGIT_RUN, text, (m) => {
      if (digitCount(m[0]) >= MIN_DIGITS) scanRun(m[0], m.index, found);
    });
  },
};

function scanRun(run: string, offset: number, found: (start: number, end: number, canonical: string) => void): void {
  // Positions in `run` of each digit, and whether a group starts / ends there.
  const positions: number[] = [];
  for (let i = 0; i < run.length; i++) if (run.charCodeAt(i) !== 0x20 && run.charCodeAt(i) !== 0x2d) positions.push(i);
  const digits = run.replace(/[ -]/g, '');
  const startsGroup = (d: number) => d === 0 || positions[d]! - positions[d - 1]! > 1;
  const endsGroup = (d: number) => d === digits.length - 1 || positions[d + 1]! - positions[d]! > 1;
  for (let first = 0; first + MIN_DIGITS <= digits.length; first++) {
    if (!startsGroup(first)) continue;
    for (let length = Math.min(MAX_DIGITS, digits.length - first); length >= MIN_DIGITS; length--) {
      const last = first + length - 1;
      if (!endsGroup(last)) continue;
      const candidate = digits.slice(first, last + 1);
      if (issuerPlausible(candidate) && luhnValid(candidate)) {
        found(offset + positions[first]!, offset + positions[last]! + 1, candidate);
        first = last; // continue after this card
        break;
      }
    }
  }
}

function digitCount(run: string): number {
  let n = 0;
  for (let i = 0; i < run.length; i++) if (run.charCodeAt(i) !== 0x20 && run.charCodeAt(i) !== 0x2d) n++;
  return n;
}

/** Issuer prefixes (IIN ranges) and the lengths their networks issue. */
export function issuerPlausible(digits: string): boolean {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  switch (digits[0]) {
    case '4': // Visa
      return n === 13 || n === 16 || n === 19;
    case '2': // Mastercard 2-series
      return n === 16 && p4 >= 2221 && p4 <= 2720;
    case '3':
      if (p2 === 34 || p2 === 37) return n === 15; // American Express
      if (p2 === 35) return n >= 16 && p4 >= 3528 && p4 <= 3589; // JCB
      return n >= 14 && (p2 === 36 || p2 === 38 || p2 === 39 || (p3 >= 300 && p3 <= 305)); // Diners
    case '5': // Mastercard 51–55, Maestro 50 and 56–59
      return p2 >= 51 && p2 <= 55 ? n === 16 : true;
    case '6': // Discover, UnionPay, Maestro
      return true;
    default:
      return false;
  }
}
