export { castLines, terminalRecordings, type RecordedEvent, type TerminalRecording } from './asciicast.js';
