/**
 * How results are printed: a table for people, JSON for scripts (`--output json`, stable field
 * names: the GraphQL fields). Colour only on a terminal, and never with --no-color or NO_COLOR.
 */
import type { OutputFormat } from './profiles.js';

export interface Column<T> {
  header: string;
  value: (row: T) => string;
}

export interface Printer {
  format: OutputFormat;
  color: boolean;
  quiet: boolean;
  /** Rows as a table, or the raw objects as a JSON array. */
  list<T>(rows: T[], columns: Column<T>[], empty: string): void;
  /** One object: `fields` for people, the raw object as JSON. */
  item(raw: unknown, fields: [string, string][]): void;
  /** A line of result (stdout), whatever the format, unless JSON (then nothing). */
  line(text: string): void;
  /** Progress and hints (stderr), unless --quiet. */
  note(text: string): void;
  /** Warnings (stderr), always. */
  warn(text: string): void;
  paint(text: string, style: 'bold' | 'dim' | 'green' | 'red' | 'yellow'): string;
}

const STYLES = { bold: [1, 22], dim: [2, 22], green: [32, 39], red: [31, 39], yellow: [33, 39] } as const;

export function createPrinter(options: {
  format: OutputFormat;
  color: boolean;
  quiet: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
}): Printer {
  const { format, color, quiet, out, err } = options;
  const paint: Printer['paint'] = (text, style) =>
    color ? `\u001b[${STYLES[style][0]}m${text}\u001b[${STYLES[style][1]}m` : text;
  return {
    format,
    color,
    quiet,
    paint,
    list(rows, columns, empty) {
      if (format === 'json') return out(JSON.stringify(rows, null, 2));
      if (rows.length === 0) return quiet ? undefined : err(empty);
      const cells = rows.map((row) => columns.map((column) => clean(column.value(row))));
      const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((row) => row[i]!.length)));
      const render = (values: string[]) =>
        values
          .map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd();
      out(paint(render(columns.map((column) => column.header.toUpperCase())), 'bold'));
      for (const row of cells) out(render(row));
    },
    item(raw, fields) {
      if (format === 'json') return out(JSON.stringify(raw, null, 2));
      const width = Math.max(...fields.map(([name]) => name.length));
      for (const [name, value] of fields) out(`${paint(`${name}:`.padEnd(width + 1), 'bold')} ${clean(value)}`);
    },
    line(text) {
      if (format !== 'json') out(text);
    },
    note(text) {
      if (!quiet) err(text);
    },
    warn(text) {
      err(text);
    },
  };
}

/** Control characters from server data never reach the terminal as such. */
export function clean(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** "in 1h 59m", "3m ago": a time relative to now, for tables. */
export function relative(iso: string | null, now = Date.now()): string {
  if (!iso) return '-';
  const delta = Date.parse(iso) - now;
  const abs = Math.abs(delta);
  const text =
    abs < 60_000
      ? `${Math.round(abs / 1000)}s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)}m`
        : abs < 86_400_000
          ? `${Math.floor(abs / 3_600_000)}h ${Math.round((abs % 3_600_000) / 60_000)}m`
          : `${Math.round(abs / 86_400_000)}d`;
  return delta >= 0 ? `in ${text}` : `${text} ago`;
}

/** A local time for people (the viewer's zone), ISO in JSON. */
export function localTime(iso: string | null): string {
  if (!iso) return '-';
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** "2h", "30m", "90s", "1h30m" → seconds. */
export function parseDuration(text: string): number | null {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!match || text.trim() === '') return null;
  const [, h = '0', m = '0', s = '0'] = match;
  const seconds = Number(h) * 3600 + Number(m) * 60 + Number(s);
  return seconds > 0 ? seconds : null;
}
