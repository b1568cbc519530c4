import { describe, expect, test } from '@jest/globals';
import { LineTracker } from './line-tracker.js';

/** Feeds `keys` split at `split` (or whole); returns the line at the first Enter. */
function typed(keys: string, split?: number) {
  const tracker = new LineTracker();
  const bytes = Buffer.from(keys, 'utf8');
  const parts = split === undefined ? [bytes] : [bytes.subarray(0, split), bytes.subarray(split)];
  for (const part of parts) {
    if (tracker.feed(part) >= 0) return tracker.line;
  }
  return null;
}

const LEFT = '\x1b[D';
const RIGHT = '\x1b[C';
const UP = '\x1b[A';

describe('LineTracker', () => {
  test.each([
    ['plain text', 'ls -la\r', 'ls -la'],
    ['LF as Enter', 'uptime\n', 'uptime'],
    ['backspace and ^H', 'rmx\x7f -rf\x08f /tmp\r', 'rm -rf /tmp'],
    ['^U kills to the start', 'echo safe\x15rm -rf /\r', 'rm -rf /'],
    ['^W kills a word', 'echo hello world\x17there\r', 'echo hello there'],
    ['arrows move the cursor', `rm /x${LEFT}${LEFT}-rf ${RIGHT}${RIGHT}y\r`, 'rm -rf /xy'],
    ['^A/^E and Home', `f /\x01rm -r\x05x\x1b[Hs\r`, 'srm -rf /x'],
    ['^K kills to the end', `rm -rf /${LEFT}${LEFT}\x0b\r`, 'rm -rf'],
    ['Delete key', `abc${LEFT}${LEFT}\x1b[3~\r`, 'ac'],
    ['^C discards the line', 'reboot\x03ls\r', 'ls'],
    ['UTF-8 text', 'echo héllo ✓\r', 'echo héllo ✓'],
    ['bracketed paste keeps newlines', '\x1b[200~echo a\recho b\x1b[201~\r', 'echo a\necho b'],
  ])('%s', (_name, keys, line) => {
    expect(typed(keys)).toEqual({ text: line, certain: true });
  });

  test.each([
    ['history (↑)', `${UP}\r`],
    ['tab completion', 'cat /etc/pass\t\r'],
    ['reverse search', '\x12reb\r'],
    ['Alt-b word move', 'rm -rf /\x1bbx\r'],
    ['yank', 'rm \x19\r'],
  ])('%s makes the line uncertain', (_name, keys) => {
    expect(typed(keys)?.certain).toBe(false);
  });

  test('every split of every sequence gives the same line', () => {
    const keys = `\x1b[200~é ✓\x1b[201~ rm${LEFT}x\x1b[3~\x1bOH#\r`;
    const whole = typed(keys);
    expect(whole).toEqual({ text: '#é ✓ rx', certain: true });
    for (let split = 0; split <= Buffer.byteLength(keys); split += 1) expect(typed(keys, split)).toEqual(whole);
  });

  test('returns the offset after Enter so the rest is fed to a fresh line', () => {
    const tracker = new LineTracker();
    const bytes = Buffer.from('one\rtwo\r');
    const end = tracker.feed(bytes);
    expect(end).toBe(4);
    expect(tracker.line.text).toBe('one');
    tracker.reset();
    expect(tracker.feed(bytes.subarray(end))).toBe(4);
    expect(tracker.line.text).toBe('two');
  });

  test('garbage never throws', () => {
    const tracker = new LineTracker();
    for (let i = 0; i < 2000; i += 1) {
      const chunk = Buffer.from(Array.from({ length: 17 }, (_, j) => (i * 31 + j * 7) % 256));
      expect(() => tracker.feed(chunk)).not.toThrow();
      if (i % 50 === 0) tracker.reset();
    }
  });
});
