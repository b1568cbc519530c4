/**
 * Reconstructs the command line typed into an interactive shell from the keystrokes a client
 * sends (bytes toward the target's PTY), as an Emacs-mode readline (bash's default) would edit it.
 * Pure: bytes in, events out; the line guard (line-guard.ts) decides what to do with a line.
 *
 * What it follows: printable text (UTF-8 kept whole), backspace (DEL, ^H), ^U (kill to start),
 * ^K (kill to end), ^W (kill previous word), ^A/^E and Home/End, ← → and ^B/^F, Delete (^D on a
 * non-empty line and ESC[3~), ^C (line discarded), bracketed paste (ESC[200~ … ESC[201~, newlines
 * included, as bash inserts them). What it cannot follow makes the line `uncertain` instead of
 * guessing: ↑/↓ and ^P/^N (history), TAB (completion), ^R/^S (search), ^Y (yank), Alt/Meta
 * sequences (word moves, transposes), ^T, ^X chords, ^V (quoted insert), unknown escapes.
 */

export interface TypedLine {
  /** The line as reconstructed (what the shell would run if `certain`). */
  text: string;
  /** False when an editing action the tracker does not follow touched the line. */
  certain: boolean;
}

const ESC = 0x1b;
const MAX_LINE = 64 * 1024;
const MAX_ESCAPE = 32;

export class LineTracker {
  private chars: string[] = [];
  private cursor = 0;
  private certain = true;
  private pasting = false;
  /** An escape sequence being read (it may span chunks). */
  private escape: number[] | null = null;
  /** Bytes of a UTF-8 character split across chunks. */
  private pendingUtf8: number[] = [];

  /** The line so far (for tests and messages). */
  get line(): TypedLine {
    return { text: this.chars.join(''), certain: this.certain };
  }

  /** Starts a fresh line (after the shell ran or discarded one). */
  reset(): void {
    this.chars = [];
    this.cursor = 0;
    this.certain = true;
    this.pasting = false;
    this.escape = null;
    this.pendingUtf8 = [];
  }

  /**
   * Feeds keystrokes; returns the offset just past the first Enter (CR or LF outside a paste)
   * in `bytes`, or -1 when there is none. The caller decides about the line (`line`), then calls
   * `reset()` and feeds the rest.
   */
  feed(bytes: Uint8Array): number {
    for (let i = 0; i < bytes.length; i += 1) {
      const byte = bytes[i]!;
      if (this.escape !== null) {
        this.escape.push(byte);
        this.escapeByte();
        continue;
      }
      if (this.pendingUtf8.length > 0 || byte >= 0x80) {
        this.utf8(byte);
        continue;
      }
      if (byte === ESC) {
        this.escape = [];
        continue;
      }
      if (this.pasting) {
        // Inside a paste every byte is text, line ends included (bash inserts them).
        this.insert(byte === 0x0d ? '\n' : String.fromCharCode(byte));
        continue;
      }
      if (byte === 0x0d || byte === 0x0a) return i + 1;
      this.control(byte);
    }
    return -1;
  }

  private control(byte: number): void {
    switch (byte) {
      case 0x7f:
      case 0x08: // backspace
        if (this.cursor > 0) this.chars.splice(--this.cursor, 1);
        return;
      case 0x15: // ^U: kill to the start
        this.chars.splice(0, this.cursor);
        this.cursor = 0;
        return;
      case 0x0b: // ^K: kill to the end
        this.chars.splice(this.cursor);
        return;
      case 0x17: // ^W: kill the previous whitespace-delimited word
        this.killWord();
        return;
      case 0x01: // ^A
        this.cursor = 0;
        return;
      case 0x05: // ^E
        this.cursor = this.chars.length;
        return;
      case 0x02: // ^B
        this.cursor = Math.max(0, this.cursor - 1);
        return;
      case 0x06: // ^F
        this.cursor = Math.min(this.chars.length, this.cursor + 1);
        return;
      case 0x04: // ^D: delete under the cursor (on an empty line the shell exits)
        if (this.cursor < this.chars.length) this.chars.splice(this.cursor, 1);
        return;
      case 0x03: // ^C: readline discards the line
        this.reset();
        return;
      case 0x0c: // ^L: redraws, the line stays
      case 0x07: // ^G
        return;
      default:
        if (byte >= 0x20) this.insert(String.fromCharCode(byte));
        // TAB, ^P/^N, ^R/^S, ^Y, ^T, ^X, ^V, ^O, ^Z…: not followed.
        else this.certain = false;
    }
  }

  private escapeByte(): void {
    const seq = this.escape!;
    const first = seq[0]!;
    if (first !== 0x5b && first !== 0x4f) {
      // ESC + key: Alt/Meta chords (word moves, transposes, history): not followed.
      this.escape = null;
      this.certain = false;
      return;
    }
    const last = seq[seq.length - 1]!;
    const final = seq.length > 1 && last >= 0x40 && last <= 0x7e;
    if (!final) {
      if (seq.length > MAX_ESCAPE) {
        this.escape = null;
        this.certain = false;
      }
      return;
    }
    this.escape = null;
    const body = String.fromCharCode(...seq.slice(1));
    if (first === 0x5b && body === '200~') this.pasting = true;
    else if (first === 0x5b && body === '201~') this.pasting = false;
    else if (body === 'D') this.cursor = Math.max(0, this.cursor - 1);
    else if (body === 'C') this.cursor = Math.min(this.chars.length, this.cursor + 1);
    else if (body === 'H' || body === '1~' || body === '7~') this.cursor = 0;
    else if (body === 'F' || body === '4~' || body === '8~') this.cursor = this.chars.length;
    else if (first === 0x5b && body === '3~') {
      if (this.cursor < this.chars.length) this.chars.splice(this.cursor, 1);
    } else this.certain = false; // ↑ ↓ (history), modified arrows (word moves), anything else
  }

  private utf8(byte: number): void {
    this.pendingUtf8.push(byte);
    const lead = this.pendingUtf8[0]!;
    const size = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (this.pendingUtf8.length < size) return;
    this.insert(Buffer.from(this.pendingUtf8).toString('utf8'));
    this.pendingUtf8 = [];
  }

  private insert(text: string): void {
    if (this.chars.length >= MAX_LINE) {
      this.certain = false;
      return;
    }
    this.chars.splice(this.cursor++, 0, text);
  }

  private killWord(): void {
    let start = this.cursor;
    while (start > 0 && /\s/.test(this.chars[start - 1]!)) start -= 1;
    while (start > 0 && !/\s/.test(this.chars[start - 1]!)) start -= 1;
    this.chars.splice(start, this.cursor - start);
    this.cursor = start;
  }
}
