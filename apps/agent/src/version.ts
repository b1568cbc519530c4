/** Reported to the control plane in enroll and hello. */
export const AGENT_VERSION = '0.1.0';
