import { type Detector, eachMatch } from './detector.js';
import { Candidate } from './prefilter.js';

/**
 * IBANs: a country code, two check digits, then exactly the country's BBAN length of letters
 * and digits, written solid or with single spaces between characters (print format groups by four), in either case; valid only
 * if the ISO 13616 mod-97 check holds. The country's length (not a greedy regex) decides where
 * the IBAN ends, so the words after a spaced IBAN are never swallowed.
 */
const START = /(?<![\p{L}\p{N}])[A-Za-z]{2}\d{2}/gu;

/** Total IBAN length per country (SWIFT IBAN registry). */
// prettier-ignore
const LENGTHS: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22,
  IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
  LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18,
  NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SD: 18,
  SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22,
  VG: 24, XK: 20,
};

const isAlnum = (c: number) => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);

export const iban: Detector = {
  name: 'iban',
  candidate: Candidate.iban,
  scan(text, found) {
    eachMatch(START, text, (m) => {
      const length = LENGTHS[m[0].slice(0, 2).toUpperCase()];
      if (length === undefined) return;
      const end = ibanEnd(text, m.index, length);
      if (end === -1) return;
      const compact = text.slice(m.index, end).replace(/ /g, '').toUpperCase();
      if (mod97(compact) === 1) {
        found(m.index, end, compact);
        START.lastIndex = end;
      }
    });
  },
};

/** Where an IBAN of `length` characters starting at `start` ends, or -1. */
function ibanEnd(text: string, start: number, length: number): number {
  let i = start;
  for (let taken = 0; taken < length; taken++) {
    if (text.charCodeAt(i) === 0x20 && taken >= 2 && isAlnum(text.charCodeAt(i + 1))) i++;
    if (!isAlnum(text.charCodeAt(i))) return -1;
    i++;
  }
  return isAlnum(text.charCodeAt(i)) ? -1 : i;
}

/** ISO 7064 mod 97-10 over the rearranged IBAN (letters as 10–35), computed piecewise. */
export function mod97(compact: string): number {
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    const value = c <= 0x39 ? c - 0x30 : c - 0x41 + 10;
    remainder = value < 10 ? (remainder * 10 + value) % 97 : (remainder * 100 + value) % 97;
  }
  return remainder;
}
