import { Capability, CLIENT_MYSQL } from './constants.js';

/**
 * The capabilities in force on a connection: what the client asked for, within what the server
 * offered. Decoders whose layout depends on them take this object.
 */
export interface SessionCapabilities {
  /** Lower 32 bits (`Capability.*`), unsigned. */
  readonly flags: number;
  /** MariaDB's extended bits (`MariaDbCapability.*`); 0 on MySQL. */
  readonly mariaDbFlags?: number;
}

/** Whether `flag` (one of `Capability.*`) is set in `flags`; correct for bit 31 too. */
export function hasCapability(flags: number, flag: number): boolean {
  return (flags & flag) >>> 0 !== 0;
}

/** Whether the MariaDB extended capability `flag` (one of `MariaDbCapability.*`) is in force. */
export function hasMariaDbCapability(capabilities: SessionCapabilities, flag: number): boolean {
  return ((capabilities.mariaDbFlags ?? 0) & flag) !== 0;
}

/**
 * The capabilities a session runs with: the client's, within the server's. MariaDB's extended
 * bits count only when both sides cleared CLIENT_MYSQL (both are MariaDB-aware).
 */
export function negotiateCapabilities(server: SessionCapabilities, client: SessionCapabilities): SessionCapabilities {
  const flags = (server.flags & client.flags) >>> 0;
  const mariaDb = (server.flags & CLIENT_MYSQL) === 0 && (client.flags & CLIENT_MYSQL) === 0;
  return { flags, mariaDbFlags: mariaDb ? (server.mariaDbFlags ?? 0) & (client.mariaDbFlags ?? 0) : 0 };
}

/** Test helper and documentation: every `Capability` name set in `flags`. */
export function capabilityNames(flags: number): string[] {
  return Object.entries(Capability)
    .filter(([, bit]) => hasCapability(flags, bit))
    .map(([name]) => name);
}
