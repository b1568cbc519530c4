/*
 * The protocol-neutral masking core: rule bodies (./contract.ts), value detectors, styles and
 * hashing, regex safety, compiled rules. Each protocol's library masks its own result format
 * with them (PostgreSQL DataRow/COPY: libs/policy-postgres). Behaviour: libs/policy/README.md.
 */
export * from './contract.js';
export { MaskingError } from './masking-error.js';
export { parseMaskingSpec } from './spec.js';
export {
  compileMaskingRules,
  type CompiledMaskingRule,
  type MaskingRuleOptions,
  type MaskingRuleSet,
} from './rules.js';
export { type ColumnMatcher, compileColumnPattern } from './column-patterns.js';
export {
  compileCustomRegex,
  customRegexProblem,
  MAX_SOURCE_LENGTH as MAX_CUSTOM_REGEX_LENGTH,
} from './regex-safety.js';
export {
  Hasher,
  MATCH_REDACTION,
  maskMatch,
  maskWholeBytes,
  maskWholeString,
  STYLE_STRENGTH,
  WHOLE_REDACTION,
} from './styles.js';
export { DetectionEngine, type DetectionEntry, detectionEntries } from './detection.js';
export {
  Candidate,
  candidatesInBytes,
  candidatesInString,
  DETECTOR_NAMES,
  DETECTORS,
  type Detector,
  type MatchSink,
} from './detectors/index.js';
export { eachMatch } from './detectors/detector.js';
