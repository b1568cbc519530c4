// Runs the development IdP as its own process (demo and tests). Prints one JSON line with the
// issuer and client credentials, then serves until SIGTERM.
import { startDevIdp } from './dev-idp.js';

const idp = await startDevIdp({
  port: Number(process.env['POSTERN_DEV_IDP_PORT'] ?? 0),
  ...(process.env['POSTERN_DEV_IDP_REDIRECT_URIS']
    ? { redirectUris: process.env['POSTERN_DEV_IDP_REDIRECT_URIS'].split(',') }
    : {}),
  ...(process.env['POSTERN_DEV_IDP_MACHINE_SECRET']
    ? { machineSecret: process.env['POSTERN_DEV_IDP_MACHINE_SECRET'] }
    : {}),
});
process.stdout.write(
  `${JSON.stringify({ msg: 'dev idp listening', issuer: idp.issuer, clients: idp.clients, users: idp.users.map((u) => ({ sub: u.sub, role: u.role, groups: u.groups })) })}\n`,
);
const stop = () => void idp.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
