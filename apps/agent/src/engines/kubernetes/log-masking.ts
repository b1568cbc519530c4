import { Transform, type TransformCallback } from 'node:stream';
import type { KubernetesValueMasker } from '@postern/policy-kubernetes';
import { MaskingRefused } from './errors.js';

const NEWLINE = 0x0a;

/**
 * Masks a `pods/log` stream line by line with the session's detectors: a line is passed on once
 * its newline has arrived (a value split across chunks is seen whole), so `logs -f` shows each
 * line as the container ends it. A line longer than `maxLine` cannot be read whole: the stream is
 * ended (MaskingRefused) rather than passed unmasked.
 */
export class LogMasking extends Transform {
  private pending: Buffer[] = [];
  private pendingLength = 0;

  constructor(
    private readonly masker: KubernetesValueMasker,
    private readonly maxLine: number,
  ) {
    super();
  }

  get masked(): number {
    return this.masker.total;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    let newline = chunk.indexOf(NEWLINE, start);
    while (newline !== -1) {
      const piece = chunk.subarray(start, newline + 1);
      const line = this.pendingLength === 0 ? piece : Buffer.concat([...this.pending, piece]);
      this.pending = [];
      this.pendingLength = 0;
      this.push(this.mask(line));
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) {
      this.pending.push(chunk.subarray(start));
      this.pendingLength += chunk.length - start;
      if (this.pendingLength > this.maxLine) {
        done(new MaskingRefused(`a log line longer than ${this.maxLine} bytes cannot be masked`));
        return;
      }
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.pendingLength > 0) this.push(this.mask(Buffer.concat(this.pending)));
    done();
  }

  private mask(line: Buffer): Buffer {
    const masked = this.masker.maskText(line.toString('utf8'));
    return masked === undefined ? line : Buffer.from(masked, 'utf8');
  }
}
