import { describe, expect, test } from '@jest/globals';
import { isRecordingEventType, RECORDING_EVENT_TYPES, type RecordingEventType } from './recording-events.js';

describe('recording event types', () => {
  test('the list names every kind of the union exactly once', () => {
    // A kind added to RecordingEventBodies but not to the list fails to compile here.
    const all: Record<RecordingEventType, true> = {
      'session.start': true,
      'session.end': true,
      'recording.gap': true,
      decision: true,
      statement: true,
      'ssh.channel': true,
      'ssh.output': true,
      'ssh.sftp': true,
      'ssh.channel.end': true,
      'kubernetes.request': true,
      'kubernetes.exec': true,
      'kubernetes.exec.output': true,
      'kubernetes.exec.end': true,
      'kubernetes.portforward': true,
      'http.request': true,
      'http.upgrade': true,
    };
    expect([...RECORDING_EVENT_TYPES].sort()).toEqual(Object.keys(all).sort());
    expect(new Set(RECORDING_EVENT_TYPES).size).toBe(RECORDING_EVENT_TYPES.length);
  });

  test('a line type from the network is checked against the list', () => {
    expect(isRecordingEventType('statement')).toBe(true);
    expect(isRecordingEventType('session.start')).toBe(true);
    expect(isRecordingEventType('shell.output')).toBe(false);
  });
});
