import { type Detector, eachMatch, luhnValid } from './detector.js';
import { Candidate } from './prefilter.js';

/**
 * National identifiers with a recognisable, checkable shape:
 * - US Social Security numbers `123-45-6789` (or space-separated), without the never-issued
 *   areas 000, 666 and 900–999, group 00 or serial 0000 (bare 9-digit runs are too ambiguous);
 * - UK National Insurance numbers `AB 12 34 56 C` (prefix letters as HMRC allocates them);
 * - Spanish DNI `12345678Z` and NIE `X1234567L`, whose control letter must be right;
 * - Canadian SINs `130-692-544` (dash- or space-separated, Luhn-valid).
 */
const US_SSN = /(?<![\p{L}\p{N}-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\p{L}\p{N}-])/gu;
const UK_NINO =
  /(?<![\p{L}\p{N}])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![\p{L}\p{N}])/giu;
const ES_DNI_NIE = /(?<![\p{L}\p{N}])([XYZ]?)(\d{7,8})-?([A-Z])(?![\p{L}\p{N}])/giu;
const CA_SIN = /(?<![\p{L}\p{N}-])[1-79]\d\d([- ])\d{3}\1\d{3}(?![\p{L}\p{N}-])/gu;
const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

export const nationalId: Detector = {
  name: 'national_id',
  candidate: Candidate.nationalId,
  scan(text, found) {
    eachMatch(US_SSN, text, (m) => found(m.index, m.index + m[0].length, m[0].replace(/\D/g, '')));
    eachMatch(UK_NINO, text, (m) => found(m.index, m.index + m[0].length, m[0].replace(/ /g, '').toUpperCase()));
    eachMatch(ES_DNI_NIE, text, (m) => {
      const [, prefix = '', number = '', letter = ''] = m;
      if (spanishIdValid(prefix, number, letter)) {
        found(m.index, m.index + m[0].length, `${prefix}${number}${letter}`.toUpperCase());
      }
    });
    eachMatch(CA_SIN, text, (m) => {
      const digits = m[0].replace(/\D/g, '');
      if (luhnValid(digits)) found(m.index, m.index + m[0].length, digits);
    });
  },
};

function spanishIdValid(prefix: string, number: string, letter: string): boolean {
  // DNI: 8 digits. NIE: X, Y or Z (read as 0, 1, 2) then 7 digits. Either way mod 23 picks the letter.
  const nieDigit = prefix === '' ? -1 : 'XYZ'.indexOf(prefix.toUpperCase());
  if (number.length !== (nieDigit === -1 ? 8 : 7)) return false;
  const value = Number(nieDigit === -1 ? number : `${nieDigit}${number}`);
  return DNI_LETTERS[value % 23] === letter.toUpperCase();
}
