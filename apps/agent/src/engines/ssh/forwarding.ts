import type ssh2 from 'ssh2';
import { channelRequest } from '@postern/policy-ssh';
import { admitCommand } from './command-gate.js';
import { refuseOperation } from './operations.js';
import type { ChannelHost } from './session-channel.js';

/**
 * The connection setting listing where `ssh -L` may lead: `host:port` entries separated by
 * commas, as the target host sees them (the target's sshd opens the connection, not the agent).
 * Absent or empty: local forwarding is refused.
 */
export const FORWARD_SETTING = 'forwardDestinations';

export function allowedDestinations(settings: Readonly<Record<string, string>>): ReadonlySet<string> {
  const raw = settings[FORWARD_SETTING] ?? '';
  return new Set(
    raw
      .split(',')
      .map((entry) => entry.trim().toLowerCase())
      .filter((entry) => entry !== ''),
  );
}

/**
 * A direct-tcpip channel (`ssh -L`): refused unless the destination is listed in the
 * connection's `forwardDestinations`; otherwise the target's sshd is asked to open it and the
 * two channels are piped. Recorded as the destination and its byte counts.
 */
export function forwardLocal(
  host: ChannelHost,
  allowed: ReadonlySet<string>,
  accept: () => ssh2.ServerChannel | undefined,
  reject: () => void,
  info: ssh2.TcpipRequestInfo,
): void {
  const destination = `${info.destIP.toLowerCase()}:${info.destPort}`;
  const { context } = host;
  if (refuseOperation(context, 'forward', destination) !== null) return reject();
  if (!allowed.has(destination)) {
    context.audit({
      kind: 'statement.blocked',
      decision: 'blocked',
      policyVersion: context.policy().version,
      details: { forward: destination, reason: "destination not in the connection's forwardDestinations" },
    });
    context.logger.info({ destination }, 'ssh local forwarding refused');
    return reject();
  }
  const id = host.nextChannelId();
  const notify = (line: string): void => context.logger.info({ destination }, line);
  void admitCommand(channelRequest('forward', destination), context, notify, `forward to ${destination}`)
    .then((verdict) => {
      if (!verdict.ok) throw new Error(verdict.message);
      return host.upstream();
    })
    .then((upstream) =>
      upstream.forwardOut(info.srcIP, info.srcPort, info.destIP, info.destPort, (error, target) => {
        if (error) return reject();
        const client = accept();
        if (!client) return target.close();
        const started = Date.now();
        let fromClient = 0;
        let fromTarget = 0;
        context.record('ssh.channel', { channel: id, kind: 'direct-tcpip', destination });
        const untrack = host.track({
          endWithMessage: () => {
            const closed = new Promise<void>((resolve) => client.once('close', resolve));
            client.close();
            return closed;
          },
        });
        client.on('data', (chunk: Buffer) => ((fromClient += chunk.length), host.countFromClient(chunk.length)));
        target.on('data', (chunk: Buffer) => ((fromTarget += chunk.length), host.countFromTarget(chunk.length)));
        client.on('error', () => undefined);
        target.on('error', () => undefined);
        client.pipe(target).pipe(client);
        let ended = false;
        const end = (): void => {
          if (ended) return;
          ended = true;
          untrack();
          client.close();
          target.close();
          context.record('ssh.channel.end', {
            channel: id,
            exitStatus: null,
            exitSignal: null,
            durationMs: Date.now() - started,
            bytesFromClient: fromClient,
            bytesFromTarget: fromTarget,
          });
        };
        client.on('close', end);
        target.on('close', end);
      }),
    )
    .catch(() => reject());
}
