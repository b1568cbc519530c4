/**
 * One pass over a value's bytes that says which detectors could possibly match, so that the
 * common value (a name, a status, a short number) is never decoded nor given to a regex. Each
 * bit is a superset test: a detector whose bit is clear cannot match; one whose bit is set runs
 * its regex and validation. All triggers are ASCII, so the same scan works on UTF-8 bytes.
 */
export const Candidate = {
  email: 1,
  card: 2,
  iban: 4,
  phone: 8,
  nationalId: 16,
  secret: 32,
  /** A backslash: JSON escapes (`\u0040`) could hide any trigger, JSON values are decoded first. */
  escape: 64,
} as const;

/** Digits in one run, counting through the separators cards, phones and ids are written with. */
const CARD_DIGITS = 13;
const PHONE_DIGITS = 8;
const NATIONAL_ID_DIGITS = 6;

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isLetter = (c: number) => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
const isUpper = (c: number) => c >= 0x41 && c <= 0x5a;

export function candidatesInBytes(src: Uint8Array, start: number, end: number): number {
  // Everything in locals: this loop runs over every byte of every inspected value.
  let bits = 0;
  let run = 0;
  let longestRun = 0;
  let p1 = 0; // the three previous bytes, for two- to four-byte triggers
  let p2 = 0;
  let p3 = 0;
  for (let i = start; i < end; i++) {
    const c = src[i]!;
    if (c >= 0x30 && c <= 0x39) {
      if (++run > longestRun) longestRun = run;
      if (isDigit(p1) && isLetter(p2) && isLetter(p3)) bits |= Candidate.iban; // "DE89…"
    } else if (c === 0x20 || c === 0x2d || c === 0x2e || c === 0x28 || c === 0x29 || c === 0x2b) {
      // space - . ( ) + keep a digit run going ("+44 (20) 7946-0958", "4111 1111 …")
      if (c === 0x2d && p1 === 0x2d)
        bits |= Candidate.secret; // "-----BEGIN … PRIVATE KEY"
      else if (c === 0x2d && p1 === 0x74 && p2 === 0x61 && p3 === 0x70) bits |= Candidate.secret; // "glpat-"
    } else {
      run = 0;
      if (c === 0x40) bits |= Candidate.email;
      else if (c === 0x5c) bits |= Candidate.escape;
      else if (c === 0x5f)
        bits |= Candidate.secret; // ghp_ github_pat_ sk_live_ npm_ postern_conn_
      else if (c === 0x4a && p1 === 0x79 && p2 === 0x65)
        bits |= Candidate.secret; // "eyJ" (JWT)
      else if (c === 0x78 && p1 === 0x6f && p2 === 0x78)
        bits |= Candidate.secret; // "xox" (Slack)
      else if (c === 0x2f && p1 === 0x2f && p2 === 0x3a)
        bits |= Candidate.secret; // "://" (URL password)
      else if (c === 0x41 && p3 === 0x41 && isUpper(p2) && isUpper(p1))
        bits |= Candidate.secret; // AKIA ASIA AROA…
      else if (c === 0x61 && p1 === 0x7a && p2 === 0x49 && p3 === 0x41) bits |= Candidate.secret; // "AIza"
    }
    p3 = p2;
    p2 = p1;
    p1 = c;
  }
  if (longestRun >= NATIONAL_ID_DIGITS) bits |= Candidate.nationalId;
  if (longestRun >= PHONE_DIGITS) bits |= Candidate.phone;
  if (longestRun >= CARD_DIGITS) bits |= Candidate.card;
  return bits;
}

/** The same for decoded text (JSON leaves, array elements): every trigger is ASCII. */
export function candidatesInString(text: string): number {
  const bytes = Buffer.from(text);
  return candidatesInBytes(bytes, 0, bytes.length);
}
