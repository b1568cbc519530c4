import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes a body through unchanged and keeps its first `cap` bytes for the recording (a copy: the
 * chunks are not held). Counts every byte.
 */
export class BodyTap extends Transform {
  bytes = 0;
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;

  constructor(private readonly cap: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.observe(chunk);
    done(null, chunk);
  }

  /** Counts and keeps a chunk that went by without the stream (a small body sent whole). */
  observe(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.keptBytes < this.cap) {
      const part = chunk.subarray(0, this.cap - this.keptBytes);
      this.kept.push(Buffer.from(part));
      this.keptBytes += part.length;
    }
  }

  get truncated(): boolean {
    return this.bytes > this.keptBytes;
  }

  /** The kept bytes as text, or base64 when they are not valid UTF-8. */
  recorded(): { text: string; base64: boolean } | null {
    if (this.keptBytes === 0) return null;
    const all = Buffer.concat(this.kept);
    const text = all.toString('utf8');
    // A cut in the middle of a character is not binary: ignore a broken last sequence.
    const body = text.replace(/\uFFFD+$/, '');
    if (!body.includes('\uFFFD') && !/[\0]/.test(body)) return { text: body, base64: false };
    return { text: all.toString('base64'), base64: true };
  }
}
