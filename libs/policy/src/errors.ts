/** A rule body (guardrail, approval or masking spec) that does not validate; `message` says why. */
export class PolicySpecError extends Error {
  override readonly name = 'PolicySpecError';

  constructor(
    message: string,
    /** Dotted path of the offending field inside the spec, e.g. "match.relations[2]". */
    readonly path: string = '',
  ) {
    super(message);
  }
}
