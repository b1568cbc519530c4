import { type Message, MySqlProtocolError, PacketReader } from '../src/index.js';
import { splitAt } from './bytes.js';

export function messagesOf(reader: PacketReader, ...chunks: Buffer[]): Message[] {
  const messages: Message[] = [];
  for (const chunk of chunks) reader.parse(chunk, (message) => messages.push(message));
  return messages;
}

/** The one message in `bytes`, read in one chunk. */
export function only(bytes: Buffer): Message {
  const messages = messagesOf(new PacketReader(), bytes);
  if (messages.length !== 1) throw new Error(`expected one message, got ${messages.length}`);
  return messages[0]!;
}

/** Reads `bytes` split in two at every offset and checks each reading gives the same payloads. */
export function readAtEveryOffset(bytes: Buffer): Buffer[][] {
  const readings: Buffer[][] = [];
  for (let cut = 0; cut <= bytes.length; cut++) {
    const reader = new PacketReader();
    readings.push(messagesOf(reader, ...splitAt(Buffer.from(bytes), [cut])).map((m) => m.payload));
    if (reader.bufferedBytes !== 0) throw new Error(`bytes left over after a cut at ${cut}`);
  }
  return readings;
}

export function failure(run: () => unknown): MySqlProtocolError {
  try {
    run();
  } catch (error) {
    if (error instanceof MySqlProtocolError) return error;
    throw error;
  }
  throw new Error('expected a MySqlProtocolError');
}

/** Runs `run`; a MySqlProtocolError is an accepted outcome, any other exception is not. */
export function tolerate<T>(run: () => T): T | MySqlProtocolError {
  try {
    return run();
  } catch (error) {
    if (error instanceof MySqlProtocolError) return error;
    throw error;
  }
}
