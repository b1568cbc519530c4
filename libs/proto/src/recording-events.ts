import type { AgentAuditKind } from './audit-kinds.js';

/**
 * The session recording's vocabulary, shared by the agent (which writes it, one JSON line per
 * event, `at` and `type` added by its recorder) and the control plane (which stores, replays and
 * re-reads it). The kit's kinds come first; each protocol adds its own below, in one section.
 * Adding a kind here is how an engine extends the recording: both apps read this one copy.
 */
export interface RecordingEventBodies {
  /** The first event of every recording: who, through which connection and ingress. */
  'session.start': {
    sessionId: string;
    connection: { id: string; name: string; protocol: string };
    principal: RecordedPrincipal | null;
    clientAddress: string;
    ingress: 'local' | 'relay';
    policyVersion: string;
    recordingMode: 'strict' | 'best-effort';
  };
  /** The last event: how the session ended (a recording a crash left open ends `interrupted`). */
  'session.end': {
    endReason: string;
    error?: string | null;
    bytesFromClient?: number;
    bytesFromTarget?: number;
    statements?: number;
    interrupted?: boolean;
    /** Best-effort recordings that lost chunks say so here, with the count of events lost. */
    truncated?: boolean;
    droppedEvents?: number;
  };
  /** Events lost before this point (best-effort spool full). */
  'recording.gap': { droppedEvents: number };
  /** A policy decision (written just before the command it concerns): blocked, held, approved… */
  decision: { kind: AgentAuditKind; decision: string; ruleId?: string | undefined } & Record<string, unknown>;

  // ------------------------------------------------------------------ PostgreSQL
  /** One Query or Execute, once the server answered it (or the session ended first). */
  statement: {
    protocol: 'simple' | 'extended';
    /** The SQL text, bounded, with the session's value detectors applied. */
    sql: string;
    durationMs: number;
    rows: number;
    tags: string[];
    /** Extended protocol: the prepared statement's name ('' unnamed is left out). */
    statement?: string;
    /** Extended protocol: the Bind's parameters, bounded and masked. */
    params?: string[];
    error?: { code: string; message: string };
  };

  // ------------------------------------------------------------------ SSH
  /**
   * A channel the client opened and the agent let through. Shells and exec commands carry an
   * asciicast v2 header (`asciicast`): with the channel's `ssh.output` events in order, it is a
   * playable .cast file.
   */
  'ssh.channel': {
    channel: number;
    /**
     * `kind`, not `type`: agents before session 8 wrote `type` here, which replaced the event's
     * own type in the stored line (such events read as type "exec", "shell", …; @postern/recording-format
     * reads both).
     */
    kind: 'shell' | 'exec' | 'subsystem' | 'direct-tcpip';
    /** exec: the command line; subsystem: its name (sftp). */
    command?: string;
    /** direct-tcpip: host:port the target was asked to connect to. */
    destination?: string;
    asciicast?: {
      version: 2;
      width: number;
      height: number;
      /** Unix seconds. */
      timestamp: number;
      command?: string;
      env?: { TERM?: string };
    };
  };
  /**
   * Terminal output of a shell or exec channel, as one asciicast v2 event line: seconds since the
   * channel opened, `o` (output; `stderr` marks the exec's error stream) or `r` (resize,
   * "COLSxROWS"), and the text.
   */
  'ssh.output': { channel: number; event: [number, 'o' | 'r', string]; stderr?: boolean };
  /**
   * One SFTP operation on a `subsystem` channel (sftp, and scp in its default SFTP mode): a file
   * read or written (reported when its handle is closed, with the bytes moved through it), a
   * directory listed, a path removed, created or renamed; `status` is the server's answer.
   */
  'ssh.sftp': {
    channel: number;
    op: 'read' | 'write' | 'list' | 'remove' | 'mkdir' | 'rmdir' | 'rename' | 'setstat' | 'symlink';
    path: string;
    target?: string;
    bytes?: number;
    status: string | null;
  };
  /** The channel's end: the exit status or signal the target reported, and its byte counts. */
  'ssh.channel.end': {
    channel: number;
    exitStatus: number | null;
    exitSignal: string | null;
    durationMs: number;
    bytesFromClient: number;
    bytesFromTarget: number;
    /** Output past the per-channel recording bound was not recorded. */
    truncated?: boolean;
  };

  // ------------------------------------------------------------------ Kubernetes
  /**
   * One API request, once its response ended: what the API server's RequestInfo would say about
   * it, the status the client got (the agent's own 401/403 included) and its duration.
   */
  'kubernetes.request': {
    method: string;
    /** Path as sent to the API server, without the query. */
    path: string;
    verb: string;
    apiGroup: string;
    resource: string;
    subresource?: string;
    namespace?: string;
    name?: string;
    status: number;
    durationMs: number;
    bytesFromClient: number;
    bytesFromTarget: number;
    /** Secret values masked in the response. */
    masked?: number;
    /** Why the agent answered itself (blocked, not approved, could not mask…). */
    refused?: string;
  };
  /**
   * An exec or attach stream let through: the pod, container and command, with an asciicast v2
   * header; with its `kubernetes.exec.output` events in order it is a playable .cast file.
   */
  'kubernetes.exec': {
    stream: number;
    subresource: 'exec' | 'attach';
    namespace: string;
    pod: string;
    container?: string;
    command: string[];
    tty: boolean;
    /** The remote-command protocol negotiated (v5.channel.k8s.io, v4.channel.k8s.io). */
    protocol: string;
    asciicast: { version: 2; width: number; height: number; timestamp: number; command?: string };
  };
  /** Terminal I/O of an exec stream as one asciicast v2 event: `o` output (`stderr` marks the error stream), `i` input, `r` resize. */
  'kubernetes.exec.output': { stream: number; event: [number, 'o' | 'i' | 'r', string]; stderr?: boolean };
  /** The exec stream's end: the exit code the API server reported (null: none), its duration and byte counts. */
  'kubernetes.exec.end': {
    stream: number;
    exitCode: number | null;
    durationMs: number;
    bytesFromClient: number;
    bytesFromTarget: number;
    truncated?: boolean;
  };
  /**
   * One TCP connection forwarded by a port-forward stream (`stream` as in `kubernetes.request`'s
   * order of upgrades), written when it ended: the pod's port, its bytes each way, and its first
   * bytes each way up to the recording cap (`base64` when not UTF-8 text). `error`: what the
   * kubelet reported on the connection's error stream.
   */
  'kubernetes.portforward': {
    stream: number;
    namespace: string;
    pod: string;
    port: number;
    requestId: string;
    durationMs: number;
    bytesToPod: number;
    bytesFromPod: number;
    toPod?: string;
    fromPod?: string;
    base64?: boolean;
    truncated?: boolean;
    error?: string;
  };

  // ------------------------------------------------------------------ HTTP
  /**
   * One HTTP call, written when its answer ended (or the call failed): the request as forwarded
   * (the caller's credential removed, secret headers `[redacted]`), the answer's status, and the
   * bodies up to the connection's recording cap, masked as the caller saw them (`base64` when they
   * are not UTF-8 text). `status` 0: no answer reached the caller (refused, upstream failure).
   */
  'http.request': {
    id: number;
    method: string;
    /** Path and query as forwarded. */
    path: string;
    status: number;
    durationMs: number;
    requestHeaders: Record<string, string>;
    responseHeaders: Record<string, string>;
    requestBytes: number;
    responseBytes: number;
    requestBody?: string;
    responseBody?: string;
    /** Bodies recorded as base64 (not text). */
    base64?: boolean;
    /** A body went past the recording cap: only its first bytes were recorded. */
    truncated?: boolean;
    /** Why it did not complete (a guardrail, the upstream, an abort). */
    error?: string;
  };
  /** An upgraded call (WebSocket): its request, and at its end the bytes each way. */
  'http.upgrade': {
    id: number;
    path: string;
    protocol: string;
    durationMs: number;
    bytesFromClient: number;
    bytesFromTarget: number;
    endedBy: string;
  };
}

export interface RecordedPrincipal {
  id: string;
  displayName: string;
  groups: string[];
  kind: string;
}

export type RecordingEventType = keyof RecordingEventBodies;

/** One recorded event as stored: a discriminated union on `type`. */
export type RecordingEvent = {
  [K in RecordingEventType]: { at: number; type: K } & RecordingEventBodies[K];
}[RecordingEventType];

/** Every kind, for readers that check a line's type at the edge. */
export const RECORDING_EVENT_TYPES = [
  'session.start',
  'session.end',
  'recording.gap',
  'decision',
  'statement',
  'ssh.channel',
  'ssh.output',
  'ssh.sftp',
  'ssh.channel.end',
  'kubernetes.request',
  'kubernetes.exec',
  'kubernetes.exec.output',
  'kubernetes.exec.end',
  'kubernetes.portforward',
  'http.request',
  'http.upgrade',
] as const satisfies readonly RecordingEventType[];

const TYPES: ReadonlySet<string> = new Set(RECORDING_EVENT_TYPES);

export function isRecordingEventType(type: string): type is RecordingEventType {
  return TYPES.has(type);
}

/**
 * No body may name `at` or `type`: the recorder writes those first and a body field of the same
 * name would replace them in the stored line. Fails to compile when one does.
 */
type NamesReserved<K extends keyof RecordingEventBodies> = Extract<keyof RecordingEventBodies[K], 'at' | 'type'>;
type AssertNever<T extends never> = T;
export type RecordingBodiesNameNoReservedField = AssertNever<
  { [K in keyof RecordingEventBodies]: NamesReserved<K> }[keyof RecordingEventBodies]
>;
