import { charsetEncoding, decodeSessionState, SessionTrack } from '@postern/wire-mysql';

/** How the engine decodes statement text: the encodings whose quotes and backslashes are plain ASCII bytes. */
export type TextEncoding = 'utf8' | 'latin1' | 'ascii' | 'binary';

/** `SET NAMES x` / `SET CHARACTER SET x` / `SET CHARSET x`, alone in the text. */
const SET_NAMES =
  /^\s*SET\s+(?:NAMES|CHARACTER\s+SET|CHARSET)\s+['"`]?([A-Za-z0-9_]+)['"`]?(?:\s+COLLATE\s+['"`]?[A-Za-z0-9_]+['"`]?)?\s*;?\s*$/i;
/** Anything else that may change how the server reads the client's bytes. */
const CHARSET_CHANGE = /\bNAMES\b|\bCHAR(?:ACTER\s+)?SET\b|character_set_client|character_set_connection/i;

/**
 * The character set the server reads the client's statements in, as far as the engine can follow
 * it: from the handshake's collation, then from session state tracking (MariaDB tracks
 * character_set_client by default) or, without tracking, from the `SET NAMES` the engine let
 * through. Statement rules read decoded text, so a set where a multi-byte character can end in a
 * backslash or a quote byte (big5, cp932, gbk, sjis, gb18030) cannot be checked: while one is in
 * force and rules apply, statements are refused, except a `SET NAMES` back to a readable set.
 */
export class ClientCharset {
  private encoding: TextEncoding | null;
  private name: string;

  constructor(
    collation: number,
    private readonly tracked: boolean,
  ) {
    this.encoding = charsetEncoding(collation) ?? null;
    this.name = `collation ${collation}`;
  }

  /** Statement text as the server reads it (only meaningful when `unreadable` is null). */
  decode(payload: Buffer, start: number): string {
    return payload.toString(this.encoding === 'latin1' ? 'latin1' : 'utf8', start);
  }

  /**
   * Why `sql` cannot be checked now (it is then refused while rules apply), or null. Also null for
   * a `SET NAMES` to a readable set, whose success `pending` reports.
   */
  refusal(sql: string): string | null {
    const names = SET_NAMES.exec(sql);
    if (names !== null && encodingOf(names[1]!) !== null) return null;
    if (this.encoding === null) {
      return `Postern cannot check statements in the character set ${this.name}: SET NAMES utf8mb4 to use this connection`;
    }
    if (!this.tracked && CHARSET_CHANGE.test(sql)) {
      return 'Postern cannot follow this character set change (the client did not ask for session tracking): use SET NAMES alone';
    }
    return null;
  }

  /** The set a statement switches to when it succeeds (without session tracking), or null. */
  pending(sql: string): string | null {
    if (this.tracked) return null;
    return SET_NAMES.exec(sql)?.[1] ?? null;
  }

  /** A `SET NAMES` the server accepted (without session tracking). */
  switched(name: string): void {
    this.set(name);
  }

  /** Session state from an OK packet: character_set_client as the server now has it. */
  observe(state: Buffer): void {
    for (const change of decodeSessionState(state)) {
      if (change.type === SessionTrack.SYSTEM_VARIABLES && 'name' in change && change.name === 'character_set_client') {
        this.set(change.value);
      }
    }
  }

  private set(name: string): void {
    this.name = name;
    this.encoding = encodingOf(name);
  }
}

function encodingOf(name: string): TextEncoding | null {
  switch (name.toLowerCase()) {
    case 'utf8':
    case 'utf8mb3':
    case 'utf8mb4':
      return 'utf8';
    case 'latin1':
      return 'latin1';
    case 'ascii':
      return 'ascii';
    case 'binary':
      return 'binary';
    default:
      return null;
  }
}
