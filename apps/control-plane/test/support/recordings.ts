import { waitFor, type ControlPlaneHandle } from '@postern/testing';

export interface RecordingPage {
  complete: boolean;
  events: { type: string; json: string }[];
}

/** A session's recording once the control plane has it complete (first page of up to 100 chunks). */
export function completeRecording(cp: ControlPlaneHandle, sessionId: string, timeoutMs = 15_000) {
  return waitFor(
    async () => {
      const response = await cp.admin<{ sessionRecording: RecordingPage }>(
        'query($id: ID!) { sessionRecording(sessionId: $id, limit: 100) { complete events { type json } } }',
        { id: sessionId },
      );
      if (response.errors) throw new Error(response.errors.map((e) => e.message).join('; '));
      return response.data!.sessionRecording.complete ? response.data!.sessionRecording : undefined;
    },
    { timeoutMs, what: `the complete recording of session ${sessionId}` },
  );
}

/** The SQL of a recording's `statement` events, in order. */
export function recordedStatements(page: RecordingPage): string[] {
  return page.events.filter((e) => e.type === 'statement').map((e) => (JSON.parse(e.json) as { sql: string }).sql);
}
