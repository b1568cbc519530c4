import { Inject, Injectable } from '@nestjs/common';
import {
  type ApprovalRuleInput,
  type SessionStatementPolicy,
  type StatementMatch,
  type StatementPolicy,
  type StatementRuleInput,
} from '@postern/policy';
import { AuditService } from '../audit/audit.service.js';
import type { Actor } from '../platform/auth/actor.js';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { InvalidArgumentError } from '../platform/errors/domain-error.js';
import { InvalidEventError, parseEventLines } from '../recordings/recording-chain.js';
import {
  approvalRecord,
  connectionIdList,
  guardrailRecord,
  integerIn,
  maskingRecord,
} from '../rules/rule-validation.js';
import { compileDialectPolicy, DEFAULT_RULE_DIALECT, ruleDialect } from '../rules/rule-dialects.js';
import type { RuleRecord } from '../rules/rule.types.js';
import { RecordedSession } from './recorded-session.js';
import { SimulationTally, ruleId } from './simulation-tally.js';
import { SimulationRepository } from './simulation.repository.js';
import type { PolicySimulation, SimulatedSession, SimulationRequest } from './simulation.types.js';

export const SIMULATION_LIMITS = {
  defaultSessions: 200,
  maxSessions: 1000,
  defaultStatements: 20_000,
  maxStatements: 100_000,
  /** Recording bytes read per call, whatever the counts. */
  maxBytes: 256 * 1024 * 1024,
  rulesPerKind: 100,
} as const;
/** Chunks read per query (each at most 4 MiB). */
const CHUNK_BATCH = 8;
/** Parse cache of one simulation (distinct SQL strings): its own, freed with it. */
const PARSE_CACHE_ENTRIES = 2048;

const NOTES = {
  masking:
    'Masking rules are not re-evaluated: recordings keep statements, not result values. Each masking rule is reported with the sessions it would apply to (connection and groups) and the statements run in them.',
  text: 'Statements are re-evaluated from their recorded text: values the masking then in force hid, and SQL longer than 4096 characters (cut by the agent), may not parse as sent (counted as invalid).',
  protocol: 'Only PostgreSQL sessions are replayed.',
} as const;

interface Replay {
  policy: StatementPolicy;
  tally: SimulationTally;
  from: Date;
  to: Date;
  maxStatements: number;
  statements: number;
  bytes: number;
  truncated: boolean;
  withoutGroups: number;
}

/**
 * Policy simulation: replays the statements recorded in a time window against proposed rules
 * (validated exactly as the rules API validates them, evaluated by libs/policy as agents do),
 * and reports what the proposal would have blocked or held, against what was done at the time.
 */
@Injectable()
export class SimulationService {
  constructor(
    private readonly repository: SimulationRepository,
    private readonly audit: AuditService,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
  ) {}

  async simulate(actor: Actor, request: SimulationRequest): Promise<PolicySimulation> {
    const { from, to } = request;
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
      throw new InvalidArgumentError('from must be before to');
    }
    const connectionIds = connectionIdList(request.connectionIds);
    const guardrails = validated('guardrails', request.guardrails, guardrailRecord);
    const approvals = validated('approvalRules', request.approvalRules, (input) =>
      approvalRecord(input, this.config.approvals.minTimeoutSeconds),
    );
    const masking = validated('maskingRules', request.maskingRules, maskingRecord);
    const maxSessions = integerIn(
      'maxSessions',
      request.maxSessions ?? SIMULATION_LIMITS.defaultSessions,
      1,
      SIMULATION_LIMITS.maxSessions,
    );
    const maxStatements = integerIn(
      'maxStatements',
      request.maxStatements ?? SIMULATION_LIMITS.defaultStatements,
      1,
      SIMULATION_LIMITS.maxStatements,
    );

    await REPLAY_DIALECT.ready();
    const replay: Replay = {
      policy: policyOf(guardrails, approvals),
      tally: new SimulationTally(guardrails, approvals, masking),
      from,
      to,
      maxStatements,
      statements: 0,
      bytes: 0,
      truncated: false,
      withoutGroups: 0,
    };
    const sessions = await this.repository.sessionsInWindow(from, to, connectionIds, maxSessions + 1);
    replay.truncated = sessions.length > maxSessions;
    let replayed = 0;
    let withoutRecording = 0;
    for (const session of sessions.slice(0, maxSessions)) {
      if (replay.statements >= maxStatements || replay.bytes >= SIMULATION_LIMITS.maxBytes) {
        replay.truncated = true;
        break;
      }
      replayed += 1;
      if (session.purged || !(await this.replaySession(session, replay))) withoutRecording += 1;
    }

    const result: PolicySimulation = {
      from,
      to,
      sessions: replayed,
      sessionsWithoutRecording: withoutRecording,
      sessionsWithoutGroups: replay.withoutGroups,
      statements: replay.statements,
      truncated: replay.truncated,
      totals: replay.tally.totals,
      changes: replay.tally.changes,
      guardrails: replay.tally.guardrails,
      approvalRules: replay.tally.approvalRules,
      maskingRules: replay.tally.maskingRules,
      notes: notes(replay, withoutRecording, { maxSessions, maxStatements }),
    };
    await this.audit.record({
      kind: 'policy.simulated',
      actorId: actor.id,
      actorKind: actor.kind === 'admin-token' ? 'admin' : actor.kind,
      details: {
        from: from.toISOString(),
        to: to.toISOString(),
        connectionIds: connectionIds.join(',') || null,
        guardrails: guardrails.length,
        approvalRules: approvals.length,
        maskingRules: masking.length,
        sessions: replayed,
        statements: replay.statements,
        truncated: replay.truncated,
      },
    });
    return result;
  }

  /** Replays one recording; false when it holds no readable chunk. */
  private async replaySession(session: SimulatedSession, replay: Replay): Promise<boolean> {
    const recording = new RecordedSession();
    let rules: { statements: SessionStatementPolicy; masking: number[] } | null = null;
    const start = () => {
      const groups = recording.groups ?? [];
      if (recording.groups === null) replay.withoutGroups += 1;
      return {
        statements: replay.policy.forSession(session.connectionId, groups),
        masking: replay.tally.session(session, groups),
      };
    };
    let readable = false;
    let after = -1;
    for (;;) {
      const chunks = await this.repository.chunksAfter(session.id, after, CHUNK_BATCH);
      for (const chunk of chunks) {
        replay.bytes += chunk.data.length;
        let lines;
        try {
          lines = parseEventLines(chunk.data);
        } catch (error) {
          if (error instanceof InvalidEventError) continue;
          throw error;
        }
        readable = true;
        for (const line of lines) {
          const statement = recording.read(line);
          if (line.type === 'session.start') rules ??= start();
          if (statement === null || statement.at < replay.from || statement.at >= replay.to) continue;
          if (replay.statements >= replay.maxStatements) {
            replay.truncated = true;
            return true;
          }
          rules ??= start();
          replay.statements += 1;
          replay.tally.statement(session.id, statement, rules.statements.evaluate(statement.sql), rules.masking);
        }
      }
      if (chunks.length < CHUNK_BATCH || replay.bytes >= SIMULATION_LIMITS.maxBytes) break;
      after = chunks.at(-1)!.seq;
    }
    if (replay.bytes >= SIMULATION_LIMITS.maxBytes) replay.truncated = true;
    return readable;
  }
}

/** Validates each proposed rule as the rules API would; errors name the rule (`guardrails[1].match…`). */
function validated<I>(field: string, inputs: readonly I[], build: (input: I) => RuleRecord): RuleRecord[] {
  if (inputs.length > SIMULATION_LIMITS.rulesPerKind) {
    throw new InvalidArgumentError(`${field}: at most ${SIMULATION_LIMITS.rulesPerKind} rules`);
  }
  return inputs.map((input, index) => {
    try {
      return build(input);
    } catch (error) {
      if (error instanceof InvalidArgumentError) throw new InvalidArgumentError(`${field}[${index}].${error.message}`);
      throw error;
    }
  });
}

function statementRule(rule: RuleRecord, id: string): StatementRuleInput {
  return {
    id,
    name: rule.name,
    connectionIds: rule.connectionIds,
    groups: rule.groups,
    match: rule.spec['match'] as StatementMatch,
  };
}

/**
 * Recordings replayed are PostgreSQL sessions' (the only engine so far), so the rules replayed are
 * PostgreSQL rules, read by PostgreSQL's analyser.
 */
const REPLAY_DIALECT = ruleDialect(DEFAULT_RULE_DIALECT);

/** The enabled proposed rules as libs/policy takes them, under synthetic ids (simulation-tally.ts). */
function policyOf(guardrails: RuleRecord[], approvals: RuleRecord[]): StatementPolicy {
  const replayed = (rule: RuleRecord) => rule.enabled && rule.spec['dialect'] === REPLAY_DIALECT.name;
  const blocks = guardrails.flatMap((rule, i) => (replayed(rule) ? [statementRule(rule, ruleId('guardrail', i))] : []));
  const holds = approvals.flatMap((rule, i): ApprovalRuleInput[] =>
    replayed(rule)
      ? [
          {
            ...statementRule(rule, ruleId('approval', i)),
            approverGroups: rule.spec['approverGroups'] as string[],
            requiredApprovals: rule.spec['requiredApprovals'] as number,
            timeoutSeconds: rule.spec['timeoutSeconds'] as number,
          },
        ]
      : [],
  );
  return compileDialectPolicy(REPLAY_DIALECT, blocks, holds, PARSE_CACHE_ENTRIES);
}

function notes(replay: Replay, withoutRecording: number, limits: { maxSessions: number; maxStatements: number }) {
  const list: string[] = [NOTES.masking, NOTES.text, NOTES.protocol];
  if (withoutRecording > 0) {
    list.push(`${withoutRecording} sessions have no readable recording (deleted by retention, or not shipped yet).`);
  }
  if (replay.withoutGroups > 0) {
    list.push(
      `${replay.withoutGroups} sessions have no session.start event: they were evaluated as a principal without groups.`,
    );
  }
  if (replay.truncated) {
    list.push(
      `Stopped early (at most ${limits.maxSessions} sessions, ${limits.maxStatements} statements, ` +
        `${SIMULATION_LIMITS.maxBytes / 1024 / 1024} MiB of recordings per call): narrow the window or the connections.`,
    );
  }
  return list;
}
