import type { Duplex } from 'node:stream';
import {
  BackendCode,
  decodeDataRow,
  decodeErrorResponse,
  ErrorField,
  frontend,
  type BackendParser,
  type Frame,
} from '@postern/wire-postgres';

/** A table as the target's catalog names it: what masking rules match on. */
export interface CatalogTable {
  schema: string;
  name: string;
  /** attnum → column name and type (live columns only). */
  columns: Map<number, { name: string; typeOid: number }>;
}

/** Runs one read-only catalog query on the target; rows of text values. */
export type CatalogQuery = (sql: string) => Promise<(string | null)[][]>;

/**
 * Names for the table OIDs in RowDescription, per connection, shared by the sessions of the
 * agent. Masking matches `table.column` rules on these names, and uses the catalog's column
 * name rather than the result's label, so `SELECT email AS e` is still the email column.
 * Entries expire after `ttlMs`, bounding how long a renamed column keeps its old name here.
 */
export class CatalogCache {
  private readonly byConnection = new Map<string, Map<number, { table: CatalogTable; at: number }>>();

  constructor(private readonly ttlMs = 60_000) {}

  get(connectionId: string, oid: number, now = Date.now()): CatalogTable | undefined {
    const entry = this.byConnection.get(connectionId)?.get(oid);
    return entry !== undefined && now - entry.at < this.ttlMs ? entry.table : undefined;
  }

  /** OIDs among `oids` (0 excluded) with no fresh entry. */
  missing(connectionId: string, oids: Iterable<number>, now = Date.now()): number[] {
    const result = new Set<number>();
    for (const oid of oids) if (oid !== 0 && this.get(connectionId, oid, now) === undefined) result.add(oid);
    return [...result];
  }

  /** Loads the tables for `oids`; an OID the catalog does not know (a dropped table) stays unknown. */
  async load(connectionId: string, oids: number[], query: CatalogQuery): Promise<void> {
    if (oids.length === 0) return;
    // OIDs are integers we produced from the wire: safe to inline.
    const rows = await query(
      'SELECT c.oid::int8, n.nspname, c.relname, a.attnum, a.attname, a.atttypid::int8 ' +
        'FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ' +
        'JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ' +
        `WHERE c.oid IN (${oids.map((oid) => String(Math.trunc(oid))).join(',')})`,
    );
    this.store(connectionId, rows);
  }

  private store(connectionId: string, rows: (string | null)[][]): number[] {
    let tables = this.byConnection.get(connectionId);
    if (tables === undefined) this.byConnection.set(connectionId, (tables = new Map()));
    const at = Date.now();
    const fresh = new Map<number, CatalogTable>();
    for (const [oidText, schema, name, attnum, attname, typeOid] of rows) {
      const oid = Number(oidText);
      let table = fresh.get(oid);
      if (table === undefined) {
        table = { schema: schema ?? '', name: name ?? '', columns: new Map() };
        fresh.set(oid, table);
      }
      table.columns.set(Number(attnum), { name: attname ?? '', typeOid: Number(typeOid) });
    }
    for (const [oid, table] of fresh) tables.set(oid, { table, at });
    return [...fresh.keys()];
  }
}

/**
 * Runs `sql` as a simple Query on an authenticated target connection and collects its rows.
 * Used on a short-lived connection of the agent's own (never on a client's session), so a
 * lookup never interleaves with the client's protocol.
 */
export function runCatalogQuery(
  stream: Duplex,
  parser: BackendParser,
  pending: Frame[],
  sql: string,
  signal: AbortSignal,
): Promise<(string | null)[][]> {
  return new Promise((resolve, reject) => {
    const rows: (string | null)[][] = [];
    let failure: Error | null = null;
    const done = (error: Error | null): void => {
      stream.off('data', onData);
      stream.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(rows);
    };
    const onFrame = (frame: Frame): void => {
      if (frame.code === BackendCode.DataRow) {
        rows.push(decodeDataRow(frame).values.map((value) => (value === null ? null : value.toString('utf8'))));
      } else if (frame.code === BackendCode.ErrorResponse) {
        const fields = decodeErrorResponse(frame).fields;
        failure = new Error(`catalog lookup failed: ${fields[ErrorField.Message] ?? 'error'}`);
      } else if (frame.code === BackendCode.ReadyForQuery) {
        done(failure);
      }
    };
    const onData = (chunk: Buffer): void => {
      try {
        parser.parse(chunk, onFrame);
      } catch (error) {
        done(error as Error);
      }
    };
    const onClose = (): void => done(new Error('catalog lookup: the target closed the connection'));
    const onAbort = (): void => done(new Error('catalog lookup aborted'));
    stream.on('data', onData);
    stream.on('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
    for (const frame of pending) onFrame(frame);
    stream.write(frontend.query(sql));
    // The login leaves the stream paused (the proxy resumes sessions when it takes them over).
    stream.resume();
  });
}
