// The little of node-postgres the masking tests use (libs/policy-postgres does not depend on @types/pg).
declare module 'pg' {
  interface QueryResult<R> {
    rows: R[];
  }
  interface PgClient {
    connect(): Promise<void>;
    query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<QueryResult<R>>;
    end(): Promise<void>;
  }
  const pg: {
    Client: new (config: { host: string; port: number; user: string; database: string }) => PgClient;
  };
  export default pg;
}
