import type { Writable } from 'node:stream';
import * as ws from 'ws';

/*
 * ws's frame parser (its Receiver, a Writable) reads an upgraded stream's WebSocket frames
 * passively: the bytes are forwarded untouched, a copy is parsed for the recording. ws's typings
 * do not declare the Receiver, hence the cast.
 */
type ReceiverCtor = new (options: { isServer: boolean; maxPayload: number; skipUTF8Validation: boolean }) => Writable;
const wsExports = ws as unknown as { Receiver?: ReceiverCtor; default?: { Receiver?: ReceiverCtor } };
const Receiver = (wsExports.Receiver ?? wsExports.default?.Receiver)!;

/**
 * The WebSocket messages of one relayed stream, both ways: `onMessage` gets each whole message;
 * frames that do not parse make `failed` fire (the engine then ends the stream: what cannot be
 * recorded is not relayed).
 */
export class FrameTap {
  private readonly fromClient: Writable;
  private readonly fromTarget: Writable;

  constructor(onMessage: (data: Buffer, binary: boolean, fromClient: boolean) => void, failed: (why: string) => void) {
    const options = { maxPayload: 16 * 1024 * 1024, skipUTF8Validation: true };
    this.fromClient = new Receiver({ ...options, isServer: true });
    this.fromTarget = new Receiver({ ...options, isServer: false });
    this.fromClient.on('message', (data: Buffer, binary: boolean) => onMessage(data, binary, true));
    this.fromTarget.on('message', (data: Buffer, binary: boolean) => onMessage(data, binary, false));
    this.fromClient.on('error', (error: Error) => failed(`client frames: ${error.message}`));
    this.fromTarget.on('error', (error: Error) => failed(`API server frames: ${error.message}`));
  }

  client(chunk: Buffer): void {
    // ws's parser unmasks client frames in place: it reads a copy, the original goes on untouched.
    if (!this.fromClient.destroyed) this.fromClient.write(Buffer.from(chunk));
  }

  target(chunk: Buffer): void {
    if (!this.fromTarget.destroyed) this.fromTarget.write(chunk);
  }

  destroy(): void {
    this.fromClient.destroy();
    this.fromTarget.destroy();
  }
}
