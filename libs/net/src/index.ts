export { SocketListener, type SocketListenerOptions } from './socket-listener.js';
export {
  DataHelloError,
  MAX_DATA_HELLO_BYTES,
  RELAY_TICKET_BYTES,
  encodeDataHello,
  readDataHello,
  type DataHello,
} from './relay-data.js';
export { splitAddress } from './address.js';
export { startMetricsEndpoint, type MetricsEndpointOptions } from './metrics-endpoint.js';
