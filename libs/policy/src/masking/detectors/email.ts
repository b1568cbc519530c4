import { type Detector, eachMatch } from './detector.js';
import { Candidate } from './prefilter.js';

/**
 * Addresses as people and applications write them: a local part of letters, digits and
 * `._%+-` (plus tags included), then a domain of dot-separated labels and a 2–24 letter TLD, in
 * any case and any script. Not matched: quoted local parts and IP-literal domains
 * (`user@[192.0.2.1]`), and percent-encoded `%40` in URLs.
 */
const LOCAL = String.raw`[\p{L}\p{N}._%+\-]`;
const LABEL = String.raw`[\p{L}\p{N}](?:[\p{L}\p{N}\-]{0,61}[\p{L}\p{N}])?`;
const EMAIL = new RegExp(
  String.raw`(?<!${LOCAL})${LOCAL}{1,64}@(?:${LABEL}\.){1,8}\p{L}{2,24}(?![\p{L}\p{N}\-])`,
  'gu',
);

export const email: Detector = {
  name: 'email',
  candidate: Candidate.email,
  scan(text, found) {
    eachMatch(EMAIL, text, (m) => found(m.index, m.index + m[0].length, m[0].toLowerCase()));
  },
};
