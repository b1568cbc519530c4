/** A clock that only moves when a test says so, starting at the real time (real IdPs sign with it). */
export class FakeClock {
  private ms = Date.now();

  readonly now = (): number => this.ms;

  advanceSeconds(seconds: number): void {
    this.ms += seconds * 1000;
  }

  nowSeconds(): number {
    return Math.floor(this.ms / 1000);
  }
}
