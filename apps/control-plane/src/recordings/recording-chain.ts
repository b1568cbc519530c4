/**
 * The recording event format shared with the agent (recording.proto): chunk data is UTF-8 JSON
 * Lines, one event object per line with at least `at` (epoch ms) and `type`. The chunks' hash
 * chain is in `@postern/contracts`, the one copy both apps use. Pure functions: no I/O.
 */

/** One line of a chunk, as replay serves it. */
export interface EventLine {
  /** Position among the chunk's non-empty lines, from 0. */
  index: number;
  at: Date;
  type: string;
  /** The line as the agent wrote it. */
  json: string;
  /** The parsed object (for the few fields the control plane reads, like `truncated`). */
  event: Record<string, unknown>;
}

export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
}

const MAX_TYPE_LENGTH = 200;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits chunk data into events, checking each line: valid UTF-8, a JSON object, a finite
 * numeric `at` that is a valid date and a non-empty string `type`. Empty lines (a trailing
 * newline) are skipped. Throws InvalidEventError naming the first bad line (1-based).
 */
export function parseEventLines(data: Uint8Array): EventLine[] {
  const events: EventLine[] = [];
  forEachEvent(data, (event, json) =>
    events.push({
      index: events.length,
      at: new Date(event['at'] as number),
      type: event['type'] as string,
      json,
      event,
    }),
  );
  return events;
}

/**
 * Checks every line as `parseEventLines` does, keeping only the last event: what ingest needs
 * (a whole chunk's events are never materialised there, only validated).
 */
export function lastEvent(data: Uint8Array): Record<string, unknown> | null {
  let last: Record<string, unknown> | null = null;
  forEachEvent(data, (event) => {
    last = event;
  });
  return last;
}

function forEachEvent(data: Uint8Array, visit: (event: Record<string, unknown>, json: string) => void): void {
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    throw new InvalidEventError('data is not valid UTF-8');
  }
  let lineNumber = 0;
  for (let start = 0; start < text.length;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNumber += 1;
    const json = text.slice(start, text.charCodeAt(end - 1) === 13 && end > start ? end - 1 : end);
    start = end + 1;
    // Blank lines are skipped; an event line starts with '{', so trim() runs only for odd lines.
    if (json.charCodeAt(0) !== 0x7b && json.trim() === '') continue;
    visit(parseLine(json, lineNumber), json);
  }
}

function parseLine(json: string, lineNumber: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new InvalidEventError(`line ${lineNumber} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidEventError(`line ${lineNumber} is not a JSON object`);
  }
  const event = value as Record<string, unknown>;
  const at = event['at'];
  if (typeof at !== 'number' || !Number.isFinite(at) || Number.isNaN(new Date(at).getTime())) {
    throw new InvalidEventError(`line ${lineNumber}: "at" must be epoch milliseconds`);
  }
  const type = event['type'];
  if (typeof type !== 'string' || type.length === 0 || type.length > MAX_TYPE_LENGTH) {
    throw new InvalidEventError(`line ${lineNumber}: "type" must be a non-empty string`);
  }
  return event;
}
