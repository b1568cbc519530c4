/**
 * Memory the agent holds for messages still being assembled (a 60 MiB Bind arriving in 64 KiB
 * chunks, a large DataRow from the target), agent-wide and per principal: one identity opening
 * many sessions cannot take the agent's memory from the others. Pure bookkeeping; a session
 * whose holding would pass either bound is refused the growth and ends (the others go on).
 */
export interface BufferBudgetSettings {
  totalBytes: number;
  perPrincipalBytes: number;
}

export type BudgetRefusal = { limit: 'agent' | 'principal'; held: number; allowed: number };

export class BufferBudget {
  private used = 0;
  private readonly byPrincipal = new Map<string, number>();

  constructor(readonly settings: BufferBudgetSettings) {}

  /** Bytes held now, agent-wide (for tests and the log). */
  get heldBytes(): number {
    return this.used;
  }

  /** The account of one session of `principalId`; release it when the session ends. */
  account(principalId: string): BufferAccount {
    return new BufferAccount(this, principalId);
  }

  /** @internal Moves a session's holding from `from` to `to` bytes, or says which bound refuses. */
  change(principalId: string, from: number, to: number): BudgetRefusal | null {
    const delta = to - from;
    const principal = this.byPrincipal.get(principalId) ?? 0;
    if (delta > 0) {
      if (principal + delta > this.settings.perPrincipalBytes) {
        return { limit: 'principal', held: principal + delta, allowed: this.settings.perPrincipalBytes };
      }
      if (this.used + delta > this.settings.totalBytes) {
        return { limit: 'agent', held: this.used + delta, allowed: this.settings.totalBytes };
      }
    }
    this.used += delta;
    const next = principal + delta;
    if (next <= 0) this.byPrincipal.delete(principalId);
    else this.byPrincipal.set(principalId, next);
    return null;
  }
}

export class BufferAccount {
  private held = 0;

  constructor(
    private readonly budget: BufferBudget,
    private readonly principalId: string,
  ) {}

  /** This session now holds `bytes`; null when that fits, else the bound it would pass. */
  hold(bytes: number): BudgetRefusal | null {
    if (bytes === this.held) return null;
    const refusal = this.budget.change(this.principalId, this.held, bytes);
    if (refusal === null) this.held = bytes;
    return refusal;
  }

  release(): void {
    this.budget.change(this.principalId, this.held, 0);
    this.held = 0;
  }
}
