import ipaddr from 'ipaddr.js';

/**
 * True when `address` (an IPv4 or IPv6 literal) is an ordinary public unicast address a webhook may be sent
 * to. Refused: loopback, private (RFC 1918), unique-local, link-local (cloud metadata services at
 * 169.254.169.254 included), carrier-grade NAT (100.64/10, where Alibaba's metadata service lives),
 * multicast, broadcast, unspecified, reserved and documentation ranges, and IPv6 forms that carry an IPv4
 * address (IPv4-mapped and -compatible are judged as the IPv4 address they carry; NAT64, 6to4 and Teredo
 * are refused outright). Classification by ipaddr.js; anything it cannot parse is refused.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}
