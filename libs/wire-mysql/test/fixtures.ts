import { type Message, MySqlProtocolError, PacketReader } from '../src/index.js';

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

/**
 * Reads `bytes` split in two at every offset; throws unless every reading yields the same
 * payloads and sequence ids as the reading in one chunk, which it returns.
 */
export function readAtEveryOffset(bytes: Buffer): Message[] {
  const whole = messagesOf(new PacketReader(), bytes);
  for (let cut = 1; cut < bytes.length; cut++) {
    const reader = new PacketReader();
    const split = messagesOf(reader, bytes.subarray(0, cut), bytes.subarray(cut));
    if (reader.bufferedBytes !== 0) throw new Error(`bytes left over after a cut at ${cut}`);
    if (
      split.length !== whole.length ||
      split.some((m, i) => m.sequenceId !== whole[i]!.sequenceId || !m.payload.equals(whole[i]!.payload))
    ) {
      throw new Error(`a cut at ${cut} changed the messages`);
    }
  }
  return whole;
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
