import { Command, MySqlProtocolError, type Message, type PacketReader } from '@postern/wire-mysql';
import type { FrameCodec } from '../common/proxy.js';
import { describeError, errorCode, Errors, SessionEnd } from './errors.js';

/** Counters of one MySQL session (the summary), and the sequence id a fatal ERR continues. */
export class MysqlSessionState {
  bytesFromClient = 0;
  bytesFromTarget = 0;
  statementCount = 0;
  /** Sequence id of the next packet to the client in the exchange under way. */
  nextToClient = 0;
}

/**
 * MySQL on the kit's proxy loop: wire-mysql's PacketReader splits both directions into logical
 * messages (16 MiB packets reassembled; `bytes` forwarded untouched); COM_QUIT says goodbye.
 * A class rather than closures: the proxy calls these per frame.
 */
export class MysqlFrameCodec implements FrameCodec<Message, Message> {
  constructor(
    readonly client: PacketReader,
    readonly target: PacketReader,
    private readonly state: MysqlSessionState,
  ) {}

  isTerminate(frame: Message): boolean {
    return frame.payload.length === 1 && frame.payload[0] === Command.QUIT;
  }

  observeClient(frame: Message): void {
    const command = frame.payload[0];
    if (command === Command.QUERY || command === Command.STMT_EXECUTE) this.state.statementCount++;
    this.state.nextToClient = (frame.lastSequenceId + 1) & 0xff;
  }

  observeTarget(frame: Message): void {
    this.state.nextToClient = (frame.lastSequenceId + 1) & 0xff;
  }

  countBytes(side: 'client' | 'target', bytes: number): void {
    if (side === 'client') this.state.bytesFromClient += bytes;
    else this.state.bytesFromTarget += bytes;
  }

  parseFailure(side: 'client' | 'target', error: unknown): SessionEnd {
    if (side === 'target') {
      return new SessionEnd('protocol_error', `invalid packet from the target: ${describeError(error)}`, {
        code: errorCode(Errors.AbortingConnection),
        message: 'invalid packet from the target server',
      });
    }
    if (error instanceof MySqlProtocolError && error.code === 'MESSAGE_TOO_LARGE') {
      const message = `packet too large: ${error.message}`;
      return new SessionEnd('protocol_error', message, {
        code: errorCode(Errors.PacketTooLarge),
        message: 'Got a packet bigger than the Postern agent allows',
      });
    }
    const message = `invalid packet from the client: ${describeError(error)}`;
    return new SessionEnd('protocol_error', message, { code: errorCode(Errors.AbortingConnection), message });
  }
}
