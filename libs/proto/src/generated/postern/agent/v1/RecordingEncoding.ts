// Original file: ../../proto/postern/agent/v1/recording.proto

export const RecordingEncoding = {
  RECORDING_ENCODING_JSONL: 'RECORDING_ENCODING_JSONL',
  RECORDING_ENCODING_JSONL_GZIP: 'RECORDING_ENCODING_JSONL_GZIP',
} as const;

export type RecordingEncoding =
  | 'RECORDING_ENCODING_JSONL'
  | 0
  | 'RECORDING_ENCODING_JSONL_GZIP'
  | 1

export type RecordingEncoding__Output = typeof RecordingEncoding[keyof typeof RecordingEncoding]
