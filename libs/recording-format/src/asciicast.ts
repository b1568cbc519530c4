/** A recorded event as the API returns it (`sessionEvents`): its kind, time and body. */
export interface RecordedEvent {
  type: string;
  at: number | string;
  body: Record<string, unknown>;
}

/** One terminal of a recorded session (an SSH shell or exec channel, a Kubernetes exec stream). */
export interface TerminalRecording {
  /** `ssh:<channel>` or `kubernetes:<stream>`: what `--terminal` names. */
  key: string;
  title: string;
  /** The asciicast v2 header the engine recorded, with a title. */
  header: Record<string, unknown>;
  /** asciicast v2 events: seconds since the terminal opened, `o`/`i`/`r`, text. */
  events: [number, string, string][];
}

const KINDS = {
  ssh: { open: 'ssh.channel', output: 'ssh.output', id: 'channel' },
  kubernetes: { open: 'kubernetes.exec', output: 'kubernetes.exec.output', id: 'stream' },
} as const;

/**
 * The terminals of a recording, in the order they opened, each as a playable asciicast v2
 * recording: the header the engine wrote when the terminal opened, then its output events in
 * recording order (the hash chain already orders them). Channels without a terminal (sftp,
 * forwards) have no header and are left out.
 */
export function terminalRecordings(events: readonly RecordedEvent[]): TerminalRecording[] {
  const terminals = new Map<string, TerminalRecording>();
  for (const stored of events) {
    const event = sshChannelOpen(stored);
    for (const [protocol, kind] of Object.entries(KINDS)) {
      const key = `${protocol}:${String(event.body[kind.id])}`;
      if (event.type === kind.open) {
        const header = event.body['asciicast'] as Record<string, unknown> | undefined;
        if (!header) continue;
        const title = titleOf(protocol, event.body);
        terminals.set(key, { key, title, header: { ...header, title }, events: [] });
      } else if (event.type === kind.output) {
        const cast = event.body['event'] as [number, string, string] | undefined;
        if (cast && Array.isArray(cast) && cast.length === 3) terminals.get(key)?.events.push(cast);
      }
    }
  }
  return [...terminals.values()];
}

/** SSH channel kinds an `ssh.channel` event names (`kind`). */
const SSH_CHANNEL_KINDS = new Set(['shell', 'exec', 'subsystem', 'direct-tcpip']);

/**
 * Agents before session 8 wrote the channel's kind as the body's `type`, which replaced the event's
 * own type in the stored line: such an event reads as type "exec" (or "shell", …) with a `channel`.
 * Read as the `ssh.channel` event it is.
 */
function sshChannelOpen(event: RecordedEvent): RecordedEvent {
  if (!SSH_CHANNEL_KINDS.has(event.type) || typeof event.body['channel'] !== 'number') return event;
  return { ...event, type: 'ssh.channel', body: { ...event.body, kind: event.body['kind'] ?? event.type } };
}

function titleOf(protocol: string, body: Record<string, unknown>): string {
  if (protocol === 'ssh') {
    const kind = body['kind'] ?? body['type'];
    return kind === 'exec' ? `exec: ${String(body['command'] ?? '')}` : String(kind ?? 'shell');
  }
  const command = Array.isArray(body['command']) ? (body['command'] as string[]).join(' ') : '';
  return `${String(body['subresource'] ?? 'exec')} ${String(body['namespace'] ?? '')}/${String(body['pod'] ?? '')}: ${command}`;
}

/** The lines of an asciicast v2 file (`.cast`): the header, then one JSON array per event. */
export function castLines(recording: TerminalRecording): string[] {
  return [JSON.stringify(recording.header), ...recording.events.map((event) => JSON.stringify(event))];
}
