/** Reported to the control plane in enroll and hello. */
export const AGENT_VERSION = '0.1.0';

/** Protocol engines this build runs (the control plane routes only matching connections here). */
export const AGENT_CAPABILITIES: string[] = [];
