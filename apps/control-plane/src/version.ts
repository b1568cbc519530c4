/** Reported to agents in `welcome` and by /healthz. Bumped with each release. */
export const CONTROL_PLANE_VERSION = '0.1.0';
