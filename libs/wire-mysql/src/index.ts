// @postern/wire-mysql: a pure codec for the MySQL / MariaDB client/server protocol. Bytes in,
// messages out (views, decoded on demand); messages in, payloads out. No I/O, no sockets.
//
// HOW TO USE IT (an engine between a client and a server)
//
//  1. Framing. One `PacketReader` per direction. `reader.parse(chunk, (message) => …)` yields
//     logical messages `{ sequenceId, lastSequenceId, packetCount, payload, bytes }`: packets of
//     0xFFFFFF bytes are reassembled, `payload` and `bytes` are views of the chunk when possible
//     (do not recycle chunks). Forward `message.bytes` untouched when you do not change it.
//     `maxMessageLength` bounds every message (MESSAGE_TOO_LARGE).
//     Every encoder below returns a PAYLOAD; `packet(payload, sequenceId)` frames it (and splits
//     it at 16 MiB). Commands start at sequence id 0; a reply continues from the request's
//     `lastSequenceId + 1` (`nextSequenceId(length, seq)` when you write several packets).
//
//  2. Connection phase.
//     server → client: `decodeHandshakeV10` / `encodeHandshakeV10` (MariaDB extended
//       capabilities read from the filler when CLIENT_MYSQL is cleared); `scrambleOf(authPluginData)`
//       is the nonce.
//     client → server: `decodeClientHandshake` (SSLRequest or HandshakeResponse41),
//       `encodeSslRequest`, `encodeHandshakeResponse41`.
//     then `negotiateCapabilities(server, client)` gives the `SessionCapabilities` that every
//     capability-dependent decoder takes.
//     auth exchange: `decodeAuthReply` (OK / ERR / AuthSwitchRequest / AuthMoreData),
//       `encodeAuthSwitchRequest`, `encodeAuthMoreData`, `cachingSha2Marker` (fast auth success /
//       perform full authentication); an AuthSwitchResponse is the plugin's raw answer.
//     password answers: `nativePassword`, `cachingSha2Password`, `rsaEncryptPassword` (full auth
//       without TLS), `clearPassword`, `ed25519Password` (MariaDB client_ed25519); server side:
//       `nativePasswordHash`, `verifyNativePassword`, `ed25519PublicKey`.
//
//  3. Command phase.
//     client → server: `decodeCommand(payload, caps, statements.lookup)` → `CommandMessage`
//       union (Query, StmtPrepare, StmtExecute, StmtSendLongData, StmtClose, StmtReset,
//       StmtFetch, InitDb, Ping, Quit, ChangeUser, ResetConnection, SetOption, …, Other).
//       COM_STMT_EXECUTE cannot be decoded alone: it needs the statement's parameter count (from
//       its COM_STMT_PREPARE_OK), the types of its previous execute and which parameters came as
//       long data. `PreparedStatements` keeps exactly that: `add(prepareOk, columns, sql)` when a
//       prepare succeeds, `observe(command)` for every decoded command, `lookup` for decodeCommand.
//       Cheap views: `commandOf(payload)`, `statementIdOf(payload)`, `querySql(payload, caps)`.
//       `encodeCommand(message, caps)` and per-command encoders (`encodeQuery`, `encodeStmtExecute`, …).
//     server → client: `ResponseReader` follows the response to each command:
//       `responses.expect({ command: 'query' | 'execute' | 'fetch' | 'prepare' | 'simple' })`
//       when a command goes out, then `responses.next(payload)` for each server message, which
//       says what it is (ok, err, eof, local-infile, result-set, column, columns-end, row with
//       its column definitions, result-end with `more`, prepare-ok, param, params-end) until
//       `responses.done`. It handles both EOF modes, multi-results, cursors and MariaDB's
//       cached metadata (pass the prepare's columns to 'execute').
//       Single decoders: `commandResponseKind`, `decodeOk`, `decodeErr`, `decodeEof`,
//       `isResultSetEnd`, `decodeResultSetEnd`, `decodeSessionState`, `decodeColumnCount`,
//       `decodeColumnDefinition`, `decodeTextRow`, `decodeBinaryRow`, `decodeStmtPrepareOk`, and
//       an encoder for each.
//     answering the client yourself: `encodeErr({ code, sqlState, message })`, `encodeOk`,
//       `encodeEof`, `encodeResultSetEnd`, `encodeColumnCount`, `encodeColumnDefinition`
//       (`columnDefinition({ name })` fills defaults), `encodeTextRow`, `encodeBinaryRow`.
//       Without CLIENT_DEPRECATE_EOF an EOF follows the column definitions.
//
//  4. Masking rows in flight. `scanTextRow(payload, columnCount, reuse?)` and
//     `scanBinaryRow(payload, columnTypes, reuse?)` fill a reusable `RowCells` (offsets of every
//     cell, NULLs, no copies); `rewriteTextRow` / `rewriteBinaryRow(payload, cells, …, replacements,
//     sequenceId)` return the WIRE BYTES of the new row (header included), copying untouched
//     bytes in runs. A rewritten row of 16 MiB or more takes more packets than the original:
//     renumber the packets that follow (`nextSequenceId`). `bench/codec.mjs` measures it.
//
//  5. Postern's endpoints. `gatewayGreeting(GATEWAY_CAPABILITIES | …, connectionId)` is the
//     greeting the agent's engine and the relay's front door both send; `ServerError` holds the
//     error numbers they answer with. `leadingPacket(buffer, max)` reads one packet at a time
//     during a handshake (what follows an SSLRequest is TLS, not MySQL).
//
// Errors: every bad input from the network throws `MySqlProtocolError` (`code`: MALFORMED,
// MESSAGE_TOO_LARGE, PACKET_OUT_OF_ORDER, UNEXPECTED_MESSAGE, UNSUPPORTED), never another
// exception and never loops: every length is bounds-checked before it is used. Values a caller
// cannot encode (a NUL in a C string, an integer out of range) are programming errors: RangeError.
//
// Why not mysql2's internals: its packet classes are not a public or stable API, they decode
// eagerly into JS values and copy, and they speak only the client side. mysql2 appears only in
// a test, as a real client talking to a server made of this codec; the other oracles are the
// real MariaDB server and the `mariadb` CLI.

export { MySqlProtocolError, type ProtocolErrorCode } from './errors.js';
export * from './constants.js';
export {
  capabilityNames,
  hasCapability,
  hasMariaDbCapability,
  negotiateCapabilities,
  type SessionCapabilities,
} from './capabilities.js';
export {
  DEFAULT_MAX_MESSAGE_LENGTH,
  leadingPacket,
  type LeadingPacket,
  nextSequenceId,
  packet,
  packetCountFor,
  PacketReader,
  type Message,
  type MessageHandler,
  type PacketReaderOptions,
} from './packets.js';
export { lenencAt, lenencPrefixSize, PayloadReader } from './reader.js';
export { lenencSize, PayloadWriter, writeLenenc } from './writer.js';
export {
  decodeClientHandshake,
  decodeHandshakeResponse41,
  decodeHandshakeV10,
  decodeSslRequest,
  encodeHandshakeResponse41,
  encodeHandshakeV10,
  encodeSslRequest,
  scrambleOf,
  SSL_REQUEST_LENGTH,
  type ClientHandshake,
  type ClientHandshakeHead,
  type HandshakeResponse41,
  type HandshakeV10,
  type SslRequest,
} from './handshake.js';
export * from './responses.js';
export * from './binary-values.js';
export * from './resultset.js';
export * from './bound-commands.js';
export * from './commands.js';
export { ResponseReader, type ExpectedResponse, type ResponseEvent } from './response-reader.js';
export {
  RowCells,
  rewriteBinaryRow,
  rewriteTextRow,
  rewriteTextCells,
  rewriteBinaryCells,
  scanBinaryRow,
  scanTextRow,
  type TextCellReplacement,
} from './row-views.js';
export {
  cachingSha2Password,
  clearPassword,
  nativePassword,
  nativePasswordHash,
  rsaEncryptPassword,
  verifyNativePassword,
} from './auth/scramble.js';
export { ed25519Password, ed25519PublicKey } from './auth/ed25519.js';
export { PreparedStatements, type PreparedStatement } from './statements.js';
export {
  GATEWAY_CAPABILITIES,
  GATEWAY_REQUIRED_CAPABILITIES,
  GATEWAY_SERVER_VERSION,
  gatewayGreeting,
  nameConnection,
  ServerError,
  type ServerErrorCode,
} from './gateway.js';
