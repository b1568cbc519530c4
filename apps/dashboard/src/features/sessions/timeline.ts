/** One recorded event as the API returns it (RecordingEvent). */
export interface RecordedEvent {
  seq: number;
  index: number;
  at: string;
  type: string;
  json: string;
}

interface Base {
  key: string;
  at: string;
}

export type TimelineItem =
  | (Base & {
      kind: 'statement';
      sql: string;
      durationMs: number;
      rows: number;
      error: { code: string; message: string } | null;
      /** The decisions recorded just before it (blocked, held, approved, masked…). */
      decisions: string[];
    })
  | (Base & { kind: 'decision'; decision: string; detail: string; valuesMasked: number })
  | (Base & { kind: 'start'; detail: string })
  | (Base & { kind: 'end'; detail: string })
  | (Base & { kind: 'gap'; detail: string })
  | (Base & { kind: 'other'; detail: string });

export interface DecisionCounts {
  blocked: number;
  held: number;
  approved: number;
  rejected: number;
  masked: number;
  /** Values masked in result rows (from the session's closing summary). */
  valuesMasked: number;
}

/** An event's body; malformed JSON reads as empty (the recording is the agent's word). */
export function parse(json: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(json);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/**
 * A database recording as a timeline: statements with timing, rows and errors; decisions that
 * concern the next statement are attached to it (the agent writes them just before it).
 */
export function timelineOf(events: readonly RecordedEvent[]): TimelineItem[] {
  const items: TimelineItem[] = [];
  let waiting: string[] = [];
  for (const event of events) {
    const body = parse(event.json);
    const key = `${event.seq}:${event.index}`;
    switch (event.type) {
      case 'statement': {
        const error = body['error'] as { code?: unknown; message?: unknown } | undefined;
        items.push({
          key,
          at: event.at,
          kind: 'statement',
          sql: text(body['sql']),
          durationMs: count(body['durationMs']),
          rows: count(body['rows']),
          error: error ? { code: text(error.code), message: text(error.message) } : null,
          decisions: waiting,
        });
        waiting = [];
        break;
      }
      case 'decision': {
        const decision = text(body['decision']) || text(body['kind']);
        // The closing summary counts masked values per rule (masking is not one decision per row).
        const byRule = body['valuesMaskedByRule'];
        const valuesMasked =
          byRule && typeof byRule === 'object' ? Object.values(byRule).reduce<number>((n, v) => n + count(v), 0) : 0;
        if (decision !== 'summary') waiting = [...waiting, decision];
        const detail =
          decision === 'summary'
            ? `${count(body['statementsAllowed'])} statements allowed, ${valuesMasked} values masked`
            : [text(body['kind']), text(body['reason']), text(body['sql'])].filter(Boolean).join(' — ');
        items.push({ key, at: event.at, kind: 'decision', decision, detail, valuesMasked });
        break;
      }
      case 'session.start': {
        const principal = body['principal'] as { displayName?: unknown } | null;
        const connection = body['connection'] as { name?: unknown } | undefined;
        items.push({
          key,
          at: event.at,
          kind: 'start',
          detail: `${text(principal?.displayName) || 'someone'} connected to ${text(connection?.name)} (${text(body['ingress'])})`,
        });
        break;
      }
      case 'session.end':
        items.push({ key, at: event.at, kind: 'end', detail: `ended: ${text(body['endReason'])}` });
        break;
      case 'recording.gap':
        items.push({ key, at: event.at, kind: 'gap', detail: `${count(body['droppedEvents'])} events lost` });
        break;
      default:
        items.push({ key, at: event.at, kind: 'other', detail: event.type });
    }
  }
  return items;
}

export function decisionCounts(items: readonly TimelineItem[]): DecisionCounts {
  const counts: DecisionCounts = { blocked: 0, held: 0, approved: 0, rejected: 0, masked: 0, valuesMasked: 0 };
  for (const item of items) {
    if (item.kind !== 'decision') continue;
    counts.valuesMasked += item.valuesMasked;
    const decision = item.decision as keyof DecisionCounts;
    if (decision !== 'valuesMasked' && decision in counts) counts[decision] += 1;
  }
  return counts;
}

/** The connection protocol the recording names in its session.start event ("POSTGRES", …). */
export function protocolOf(events: readonly RecordedEvent[]): string | null {
  const start = events.find((e) => e.type === 'session.start');
  if (!start) return null;
  const connection = parse(start.json)['connection'] as { protocol?: unknown } | undefined;
  return text(connection?.protocol).toUpperCase() || null;
}
