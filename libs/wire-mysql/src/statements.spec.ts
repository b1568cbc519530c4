import { expect, test } from '@jest/globals';
import {
  Capability,
  columnDefinition,
  ColumnType,
  decodeCommand,
  encodeCommand,
  encodeStmtExecute,
  PreparedStatements,
} from './index.js';

const caps = { flags: Capability.PROTOCOL_41 };

test('a statement is decodable after its prepare, keeps its types, its long data, and goes with CLOSE', () => {
  const statements = new PreparedStatements();
  const columns = [columnDefinition({ name: 'id', type: ColumnType.LONG })];
  statements.add(
    { statementId: 3, columnCount: 1, paramCount: 2, warnings: 0 },
    columns,
    'SELECT id FROM t WHERE a = ? AND b = ?',
  );
  const decode = (payload: Buffer) => {
    const command = decodeCommand(payload, caps, statements.lookup);
    statements.observe(command);
    return command;
  };

  const params = [
    { type: ColumnType.LONG, unsigned: true, value: 7 },
    { type: ColumnType.BLOB, unsigned: false, value: Buffer.from('b') },
  ];
  decode(encodeStmtExecute({ statementId: 3, params }, caps));
  expect(statements.get(3)!.paramTypes).toEqual([
    { type: ColumnType.LONG, unsigned: true },
    { type: ColumnType.BLOB, unsigned: false },
  ]);

  // Long data for parameter 1, then an execute that does not resend the types.
  decode(encodeCommand({ type: 'StmtSendLongData', statementId: 3, paramId: 1, data: Buffer.from('big') }, caps));
  const again = decode(
    encodeStmtExecute(
      { statementId: 3, newParamsBound: false, params: [params[0]!, { ...params[1]!, value: undefined }] },
      caps,
    ),
  );
  expect(again).toMatchObject({ newParamsBound: false, params: [{ value: 7 }, { value: undefined }] });
  expect(statements.get(3)!.longDataParams.size).toBe(0);
  expect(statements.get(3)!.columns).toBe(columns);

  decode(encodeCommand({ type: 'StmtClose', statementId: 3 }, caps));
  expect(statements.size).toBe(0);
});

test('RESET_CONNECTION and CHANGE_USER forget every statement', () => {
  const statements = new PreparedStatements();
  statements.add({ statementId: 1, columnCount: 0, paramCount: 0, warnings: 0 }, []);
  statements.add({ statementId: 2, columnCount: 0, paramCount: 0, warnings: 0 }, []);
  statements.observe({ type: 'ResetConnection' });
  expect(statements.size).toBe(0);
});
