import type { CommandAnalyser, CommandAnalysis } from '@postern/policy';
import { analyzeShell, type ShellCommandFacts } from './analyze.js';
import { SSH_DIALECT } from './dialect.js';

/** Analyses by text, the most recent `maxEntries` distinct lines kept (a Map in insertion order). */
export class ShellAnalysisCache {
  private readonly entries = new Map<string, CommandAnalysis<ShellCommandFacts>>();

  constructor(private readonly options: { maxEntries: number } = { maxEntries: 1000 }) {}

  analyze(text: string): CommandAnalysis<ShellCommandFacts> {
    const cached = this.entries.get(text);
    if (cached !== undefined) {
      this.entries.delete(text);
      this.entries.set(text, cached);
      return cached;
    }
    const analysis = analyzeShell(text);
    // Refusals for "parser not loaded" must not stick once it is.
    if (analysis.ok || analysis.position !== null || analysis.message !== 'the shell parser is not loaded') {
      this.entries.set(text, analysis);
      if (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    }
    return analysis;
  }
}

const shared = new ShellAnalysisCache();

/** The `ssh` dialect's analyser over a cache (default: the process-wide one). */
export function shellAnalyser(cache: ShellAnalysisCache = shared): CommandAnalyser<ShellCommandFacts> {
  return { dialect: SSH_DIALECT, analyze: (text) => cache.analyze(text) };
}
