// SASLprep (RFC 4013) as PostgreSQL applies it to SCRAM passwords (src/common/saslprep.c):
// when the result would contain prohibited characters, PostgreSQL uses the password as given,
// and so do we. Not covered: the table of unassigned code points (A.1) and the bidirectional
// check, both of which only decide between "prepared" and "as given" for exotic passwords.

type Range = readonly [number, number];

/** RFC 3454 C.1.2, mapped to U+0020 (checked first, as PostgreSQL does). */
const NON_ASCII_SPACES: readonly Range[] = [
  [0x00a0, 0x00a0],
  [0x1680, 0x1680],
  [0x2000, 0x200b],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];

/** RFC 3454 B.1, mapped to nothing. */
const MAPPED_TO_NOTHING: readonly Range[] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x1806, 0x1806],
  [0x180b, 0x180d],
  [0x200b, 0x200d],
  [0x2060, 0x2060],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
];

/** RFC 3454 C.1.2 and C.2 to C.9, prohibited in the output. */
const PROHIBITED: readonly Range[] = [
  ...NON_ASCII_SPACES,
  [0x0000, 0x001f],
  [0x007f, 0x009f], // C.2.1, C.2.2 controls
  [0x06dd, 0x06dd],
  [0x070f, 0x070f],
  [0x180e, 0x180e],
  [0x200c, 0x200f],
  [0x2028, 0x202e],
  [0x2060, 0x2063],
  [0x206a, 0x206f],
  [0xfeff, 0xfeff],
  [0xfff9, 0xfffc],
  [0x1d173, 0x1d17a],
  [0xe000, 0xf8ff],
  [0xf0000, 0xffffd],
  [0x100000, 0x10fffd], // C.3 private use
  [0xfdd0, 0xfdef], // C.4 non-characters (the xFFFE/xFFFF of each plane are checked below)
  [0xd800, 0xdfff], // C.5 surrogates (lone ones: paired ones were combined into code points)
  [0xfffd, 0xfffd],
  [0x2ff0, 0x2ffb],
  [0x0340, 0x0341], // C.6, C.7, C.8
  [0xe0001, 0xe0001],
  [0xe0020, 0xe007f], // C.9 tagging
];

function inRanges(code: number, ranges: readonly Range[]): boolean {
  return ranges.some(([low, high]) => code >= low && code <= high);
}

/** The password PostgreSQL feeds to SCRAM for `password`. */
export function saslprep(password: string): string {
  // Like PostgreSQL: ASCII needs no preparation (even its control characters pass), so the
  // range deliberately starts at NUL.
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(password)) return password;
  let mapped = '';
  for (const char of password) {
    const code = char.codePointAt(0)!;
    if (inRanges(code, NON_ASCII_SPACES)) mapped += ' ';
    else if (!inRanges(code, MAPPED_TO_NOTHING)) mapped += char;
  }
  if (mapped === '') return password;
  // PostgreSQL checks the prohibited ranges on the mapped characters, before normalization.
  for (const char of mapped) {
    const code = char.codePointAt(0)!;
    if (inRanges(code, PROHIBITED) || (code & 0xfffe) === 0xfffe) return password;
  }
  return mapped.normalize('NFKC');
}
