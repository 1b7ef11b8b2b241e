/**
 * Which IP addresses the URL intake may connect to: public unicast only. Range names come from ipaddr.js
 * (loopback, private, linkLocal, carrierGradeNat, multicast, reserved incl. documentation and benchmarking,
 * unspecified, broadcast, uniqueLocal, teredo, …). IPv6 forms that carry an IPv4 address (IPv4-mapped,
 * NAT64, 6to4) are judged by the IPv4 address inside them.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type AddressVerdict = { allowed: true } | { allowed: false; range: string };

export interface AddressPolicy {
  /** Lets exactly 127.0.0.0/8 and ::1 through, for tests and the local sandbox. Nothing else private. */
  allowLoopback?: boolean;
}

const refused = (range: string): AddressVerdict => ({ allowed: false, range });
const ALLOWED: AddressVerdict = { allowed: true };

function judgeIPv4(address: ipaddr.IPv4, policy: AddressPolicy): AddressVerdict {
  const range = address.range();
  if (range === 'unicast') return ALLOWED;
  if (range === 'loopback' && policy.allowLoopback) return ALLOWED;
  return refused(range);
}

/** The IPv4 address an IPv6 address embeds by a translation scheme, if any. */
function embeddedIPv4(address: ipaddr.IPv6, range: string): ipaddr.IPv4 | null {
  const bytes = address.toByteArray();
  switch (range) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d
      return new ipaddr.IPv4(bytes.slice(12, 16));
    case 'rfc6052': // 64:ff9b::a.b.c.d (NAT64); the local-use 64:ff9b:1::/48 places it elsewhere: refused whole
      return address.parts.slice(2, 6).every((p) => p === 0) ? new ipaddr.IPv4(bytes.slice(12, 16)) : null;
    case '6to4': // 2002:aabb:ccdd::/48
      return new ipaddr.IPv4(bytes.slice(2, 6));
    default:
      return null;
  }
}

/** ::a.b.c.d (::/96, "IPv4-compatible", deprecated by RFC 4291): ipaddr.js calls it unicast; nobody public uses it. */
const isIPv4Compatible = (address: ipaddr.IPv6) => address.parts.slice(0, 6).every((p) => p === 0);

function judgeIPv6(address: ipaddr.IPv6, policy: AddressPolicy): AddressVerdict {
  const range = address.range();
  if (range === 'unicast' && isIPv4Compatible(address)) return refused('ipv4Compatible');
  if (range === 'unicast') return ALLOWED;
  if (range === 'loopback' && policy.allowLoopback) return ALLOWED;
  const inner = embeddedIPv4(address, range);
  if (inner) {
    // The loopback exemption is for plain 127/8 and ::1 only, never for addresses smuggled inside IPv6.
    const verdict = judgeIPv4(inner, {});
    return verdict.allowed ? ALLOWED : refused(`${range} of ${verdict.range}`);
  }
  return refused(range);
}

/** Judges one IP address in its standard text form (as DNS or a URL's host gives it). */
export function judgeAddress(address: string, policy: AddressPolicy = {}): AddressVerdict {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(bare);
  if (family === 4) return judgeIPv4(ipaddr.IPv4.parse(bare), policy);
  if (family === 6) return judgeIPv6(ipaddr.IPv6.parse(bare), policy);
  return refused('not an IP address');
}

/** True for a host that is an IP literal (URL hosts give IPv6 in brackets). */
export function isIpLiteral(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isIP(bare) !== 0;
}
