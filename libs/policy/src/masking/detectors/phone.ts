import { type Detector, eachMatch } from './detector.js';
import { Candidate } from './prefilter.js';

/**
 * Telephone numbers with 8–15 digits written the way people write them: international with a
 * leading `+` (`+44 20 7946 0958`, `+14155552671`), or national with at least three digit groups
 * or an area code in parentheses (`(555) 123-4567`, `555.123.4567`, `06 12 34 56 78`). Never a
 * plain integer (no `+`, no separators), a negative number, an ISO or day-month-year date, an
 * IPv4 address, a number grouped by thousands (`1 234 567 890`, which also leaves out
 * national numbers grouped 3-3-3 such as `030 123 456`), or groups of six digits or more
 * without a `+` (ISBNs, references: `978-3-16-148410-0`).
 */
const CANDIDATE = /(?<![\p{L}\p{N}_+.-])(?:\+|\(\+?)?\d[\d .()-]{5,22}\d(?![\p{L}\p{N}_])/gu;
const MIN_DIGITS = 8;
const MAX_DIGITS = 15;
const MAX_NATIONAL_GROUP = 5;
const ISO_DATE = /^(?:19|20)\d\d([-./ ])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?!\d)/;
const DAY_FIRST_DATE = /^\d{1,2}([-./ ])\d{1,2}\1(?:19|20)\d\d$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const THOUSANDS = /^\d{1,3}(?:([ .])\d{3})(?:\1\d{3})*$/;

export const phone: Detector = {
  name: 'phone',
  candidate: Candidate.phone,
  scan(text, found) {
    eachMatch(CANDIDATE, text, (m) => {
      if (plausiblePhone(m[0])) found(m.index, m.index + m[0].length, m[0].replace(/[^\d+]/g, ''));
    });
  },
};

export function plausiblePhone(candidate: string): boolean {
  // One pass for the counts; the date/address/thousands shapes only for what survives them.
  let digits = 0;
  let groups = 0;
  let group = 0;
  let longestGroup = 0;
  let opens = 0;
  let closes = 0;
  let previousSeparator = false;
  for (let i = 0; i < candidate.length; i++) {
    const c = candidate.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      digits++;
      if (group++ === 0) groups++;
      if (group > longestGroup) longestGroup = group;
      previousSeparator = false;
      continue;
    }
    group = 0;
    if (c === 0x28) opens++;
    else if (c === 0x29) {
      if (++closes > opens) return false;
    } else if (c !== 0x2b) {
      if (previousSeparator) return false; // "1 - 2", "1..2": prose or a list, not a number
      previousSeparator = true;
    }
  }
  if (digits < MIN_DIGITS || digits > MAX_DIGITS || opens !== closes || opens > 1) return false;
  if (candidate.charCodeAt(0) === 0x2b) return true;
  if (ISO_DATE.test(candidate) || DAY_FIRST_DATE.test(candidate) || IPV4.test(candidate)) return false;
  if (THOUSANDS.test(candidate)) return false;
  // National numbers group digits by 2–5; a longer group is an ISBN, a reference, a timestamp.
  if (longestGroup > MAX_NATIONAL_GROUP) return false;
  return groups >= 3 || opens === 1;
}
