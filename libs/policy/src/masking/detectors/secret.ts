import { type Detector, eachMatch } from './detector.js';
import { Candidate } from './prefilter.js';

/**
 * Credentials with a recognisable shape, each masked as a whole token:
 * JWTs (`eyJ….….…`), AWS access key ids (`AKIA…`, `ASIA…` and the other `A??A` prefixes),
 * GitHub tokens (`ghp_ gho_ ghu_ ghs_ ghr_`, `github_pat_`), GitLab `glpat-`, Slack `xox?-`,
 * Stripe `sk_`/`rk_` live and test keys, Google API keys (`AIza…`), npm tokens (`npm_`),
 * Postern connection credentials (`postern_conn_…`), PEM private key blocks (up to their END
 * line, or to the end of the value when it is cut), and the password of a URL
 * (`scheme://user:password@host` — only the password is masked).
 */
const PATTERNS = [
  String.raw`(?<![\w\-])eyJ[\w\-]{8,}\.[\w\-]{8,}\.[\w\-]*`,
  String.raw`(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}(?![A-Z0-9])`,
  String.raw`(?<!\w)gh[pousr]_[A-Za-z0-9]{36,251}(?!\w)`,
  String.raw`(?<!\w)github_pat_\w{22,244}`,
  String.raw`(?<!\w)glpat-[\w\-]{20,64}`,
  String.raw`(?<!\w)xox[abposr]-[A-Za-z0-9\-]{10,250}`,
  String.raw`(?<!\w)[sr]k_(?:live|test)_[A-Za-z0-9]{10,247}`,
  String.raw`(?<![\w\-])AIza[\w\-]{35}(?![\w\-])`,
  String.raw`(?<!\w)npm_[A-Za-z0-9]{36}(?!\w)`,
  String.raw`(?<!\w)postern_conn_[\w\-]{16,256}`,
  String.raw`-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY-----|$)`,
  String.raw`(?<=[A-Za-z][A-Za-z0-9+.\-]{0,30}:\/\/[^\s\/@:]{0,128}:)[^\s\/@]{1,256}(?=@)`,
];
const SECRET = new RegExp(PATTERNS.map((p) => `(?:${p})`).join('|'), 'gu');

export const secret: Detector = {
  name: 'secret',
  candidate: Candidate.secret,
  scan(text, found) {
    eachMatch(SECRET, text, (m) => found(m.index, m.index + m[0].length, m[0]));
  },
};
