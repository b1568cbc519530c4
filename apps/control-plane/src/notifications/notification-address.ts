import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Which addresses notifications may be sent to. Link-local and cloud metadata addresses are
 * never allowed (an endpoint there reads instance credentials); private, loopback and shared
 * ranges only with POSTERN_NOTIFICATIONS_ALLOW_PRIVATE_NETWORKS (receivers inside the network).
 * Checked on every address a name resolves to, at creation and again at each delivery (the
 * connection goes to the checked address: a name re-pointed after creation gains nothing).
 */
const NEVER = new BlockList();
NEVER.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network"; 0.0.0.0 reaches the local host
NEVER.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local: AWS/GCP/Azure/OpenStack metadata at .169.254
NEVER.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
NEVER.addAddress('168.63.129.16', 'ipv4'); // Azure wire server
NEVER.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
NEVER.addSubnet('240.0.0.0', 4, 'ipv4'); // reserved and broadcast
NEVER.addAddress('::', 'ipv6');
NEVER.addSubnet('fe80::', 10, 'ipv6'); // link-local
NEVER.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6
NEVER.addSubnet('ff00::', 8, 'ipv6'); // multicast

const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4'); // carrier-grade NAT, also cloud-internal
PRIVATE.addSubnet('198.18.0.0', 15, 'ipv4');
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6'); // unique local

/** Why `address` may not receive notifications, or null when it may. */
export function refusedAddress(address: string, allowPrivate: boolean): string | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ip = mapped ? mapped[1]! : address;
  const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : null;
  if (family === null) return 'not an IP address';
  if (NEVER.check(ip, family)) return 'a link-local, metadata or reserved address';
  if (!allowPrivate && PRIVATE.check(ip, family)) {
    return 'a private or loopback address (POSTERN_NOTIFICATIONS_ALLOW_PRIVATE_NETWORKS=true allows it)';
  }
  return null;
}

/** The URL's host as an IP literal (IPv6 without brackets), or null for a name. */
export function literalAddress(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIPv4(bare) || isIPv6(bare) ? bare : null;
}
