import type { Duplex } from 'node:stream';
import {
  AuthPlugin,
  Capability,
  clearPassword,
  decodeAuthReply,
  decodeHandshakeV10,
  encodeHandshakeResponse41,
  GATEWAY_CAPABILITIES,
  GATEWAY_REQUIRED_CAPABILITIES,
  isErrPacket,
  leadingPacket,
  MySqlProtocolError,
  packet,
  type HandshakeResponse41,
} from '@postern/wire-mysql';

/** What the relay presents to the agent's engine for the client. */
export interface AgentLogin {
  /** The client's HandshakeResponse41, as the relay read it. */
  response: HandshakeResponse41;
  /** The client's Postern credential, which the agent checks again itself. */
  password: string;
}

/** How the agent's engine answered: its OK (the client is in) or its ERR (why not), as payloads. */
export type AgentLoginResult =
  | { type: 'ok'; payload: Buffer; /** Bytes the agent sent after its OK, for the client. */ rest: Buffer }
  | { type: 'err'; payload: Buffer };

/** An agent packet before login is a greeting or an auth reply: a few hundred bytes. */
const AGENT_PACKET_LIMIT = 64 * 1024;

/**
 * The relay logs in to the agent's MySQL engine on the client's behalf, over the data connection
 * (or the internal link to the replica holding it): reads the engine's greeting, answers with
 * the client's own handshake response (its capabilities, user, connection as the database,
 * attributes) carrying the credential through mysql_clear_password, and returns the engine's
 * verdict. The greeting never reaches the client, who already had ours; the caller renumbers the
 * verdict into the client's exchange.
 *
 * The data connection is the agent's own TLS and the engine serves relayed sessions without
 * client TLS, so no SSLRequest goes this way.
 */
export function loginToAgent(upstream: Duplex, login: AgentLogin): Promise<AgentLoginResult> {
  return new Promise((resolve, reject) => {
    let held: Buffer = Buffer.alloc(0);
    let phase: 'greeting' | 'auth' | 'switched' = 'greeting';
    let sessionFlags = 0;
    const settle = (outcome: AgentLoginResult | Error): void => {
      upstream.off('data', onData);
      upstream.off('close', onClose);
      upstream.off('error', onError);
      upstream.pause();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onPacket = (sequenceId: number, payload: Buffer): AgentLoginResult | null => {
      if (phase === 'greeting') {
        // An engine that refuses before greeting (too many sessions) says so in an ERR.
        if (isErrPacket(payload)) return { type: 'err', payload };
        const greeting = decodeHandshakeV10(payload);
        sessionFlags = (login.response.capabilityFlags & GATEWAY_CAPABILITIES & ~Capability.SSL) >>> 0;
        const missing = (sessionFlags & ~greeting.capabilityFlags) >>> 0;
        if (
          missing !== 0 ||
          (greeting.capabilityFlags & GATEWAY_REQUIRED_CAPABILITIES) !== GATEWAY_REQUIRED_CAPABILITIES
        ) {
          // The client settled on what the relay offered; an engine offering less would read the
          // session differently. Fail closed rather than guess.
          throw new MySqlProtocolError(
            'UNSUPPORTED',
            `the agent's engine lacks capabilities 0x${missing.toString(16)}`,
          );
        }
        upstream.write(packet(handshakeResponse(login, sessionFlags), (sequenceId + 1) & 0xff));
        phase = 'auth';
        return null;
      }
      const reply = decodeAuthReply(payload, { flags: sessionFlags, mariaDbFlags: 0 });
      switch (reply.type) {
        case 'Ok':
          return { type: 'ok', payload, rest: Buffer.alloc(0) };
        case 'Err':
          return { type: 'err', payload };
        case 'AuthSwitchRequest':
          // An engine that asks again, once, for the clear password gets it.
          if (phase === 'auth' && reply.request.pluginName === AuthPlugin.CLEAR_PASSWORD) {
            upstream.write(packet(clearPassword(login.password), (sequenceId + 1) & 0xff));
            phase = 'switched';
            return null;
          }
          throw new MySqlProtocolError('UNEXPECTED_MESSAGE', `the agent asked for ${reply.request.pluginName}`);
        default:
          throw new MySqlProtocolError('UNEXPECTED_MESSAGE', `unexpected ${reply.type} from the agent`);
      }
    };
    const onData = (chunk: Buffer): void => {
      held = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      try {
        for (;;) {
          const next = leadingPacket(held, AGENT_PACKET_LIMIT);
          if (next === null) return;
          held = held.subarray(next.length);
          const outcome = onPacket(next.sequenceId, next.payload);
          if (outcome === null) continue;
          settle(outcome.type === 'ok' ? { ...outcome, rest: Buffer.from(held) } : outcome);
          return;
        }
      } catch (error) {
        settle(error instanceof Error ? error : new Error(String(error)));
      }
    };
    const onClose = (): void => settle(new Error('the agent closed the data connection during login'));
    const onError = (error: Error): void => settle(error);
    upstream.on('data', onData);
    upstream.once('close', onClose);
    upstream.once('error', onError);
    upstream.resume();
  });
}

/**
 * The engine reads a handshake response of up to 64 KiB: a client's attributes that would not fit
 * beside a long credential (an OIDC token) are left out rather than the login refused.
 */
const AGENT_RESPONSE_LIMIT = 60 * 1024;

function handshakeResponse(login: AgentLogin, sessionFlags: number): Buffer {
  const full = encodeHandshakeResponse41(responseFor(login, sessionFlags));
  if (full.length < AGENT_RESPONSE_LIMIT) return full;
  const { attributes: _dropped, ...response } = login.response;
  return encodeHandshakeResponse41(responseFor({ ...login, response }, sessionFlags));
}

/** The client's handshake response as the agent's engine reads it: clear password, connection as database. */
function responseFor(login: AgentLogin, sessionFlags: number): HandshakeResponse41 {
  const { response } = login;
  const capabilityFlags =
    (sessionFlags | Capability.PLUGIN_AUTH | Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA | Capability.CONNECT_WITH_DB) >>>
    0;
  return {
    capabilityFlags,
    mariaDbCapabilityFlags: 0,
    maxPacketSize: response.maxPacketSize,
    characterSet: response.characterSet,
    username: response.username,
    authResponse: clearPassword(login.password),
    database: response.database ?? '',
    authPluginName: AuthPlugin.CLEAR_PASSWORD,
    ...((capabilityFlags & Capability.CONNECT_ATTRS) !== 0 && response.attributes !== undefined
      ? { attributes: response.attributes }
      : {}),
  };
}
