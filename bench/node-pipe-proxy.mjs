// A bare Node.js TCP relay with no Postern code in it: `socket.pipe()` both ways, TCP_NODELAY on
// both sides. bench/postgres.mjs measures it next to the agent as the floor of what a Node.js
// proxy on this machine costs (no parsing, no policy, no authentication).
//
//   node bench/node-pipe-proxy.mjs <listen port> <target host> <target port>
import { connect, createServer } from 'node:net';

const [listenPort, targetHost, targetPort] = process.argv.slice(2);
if (!listenPort || !targetHost || !targetPort) {
  console.error('usage: node bench/node-pipe-proxy.mjs <listen port> <target host> <target port>');
  process.exit(2);
}

const server = createServer({ noDelay: true }, (client) => {
  const target = connect({ host: targetHost, port: Number(targetPort), noDelay: true });
  const close = () => {
    client.destroy();
    target.destroy();
  };
  client.on('error', close);
  target.on('error', close);
  client.pipe(target);
  target.pipe(client);
});
server.listen(Number(listenPort), '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'node pipe proxy listening', port: server.address().port }));
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
