/**
 * What the session code tells observers (the agent's metrics) about sessions, without knowing how
 * they are counted. Every call is cheap and synchronous; none is made per message.
 */
export interface SessionObserver {
  /** A session authenticated and began (reported open to the control plane). */
  opened(protocol: string, ingress: 'local' | 'relay'): void;
  /** A session ended; `wasOpened` false: refused before it was authenticated. */
  closed(
    protocol: string,
    ingress: 'local' | 'relay',
    end: { endReason: string; bytesFromClient: number; bytesFromTarget: number; wasOpened: boolean },
  ): void;
  /** A policy decision an engine audited (a statement allowed, blocked, held, masked…). */
  decision(protocol: string, kind: string, decision: string, ruleId: string): void;
  /** A held command's wait ended: approved, rejected, expired or cancelled after `seconds`. */
  approvalSettled(protocol: string, outcome: string, seconds: number): void;
}

export const NO_SESSION_OBSERVER: SessionObserver = {
  opened: () => {},
  closed: () => {},
  decision: () => {},
  approvalSettled: () => {},
};
