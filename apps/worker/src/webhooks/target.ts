import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/*
 * Where a webhook may go. A receiver's address is checked as resolved, and the connection is made to the
 * very address checked (the request's `lookup`), so a name that resolves to a public address when checked
 * and to a private one when connected (DNS rebinding) cannot reach the private network.
 */

/** Loopback, RFC 1918, link-local, CGNAT, unspecified, multicast and reserved ranges (IPv4-mapped IPv6 included). */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fe80::', 10],
  ['fc00::', 7],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}

/** True for an address webhooks may not reach unless `WEBHOOK_ALLOW_PRIVATE`. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true; // not an address: nothing to connect to
  return PRIVATE.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** A receiver whose address is private: the attempt's error says which. */
export class PrivateAddressError extends Error {
  override name = 'PrivateAddressError';
  readonly code = 'EWEBHOOKPRIVATE';
  constructor(host: string, address: string) {
    super(
      host === address
        ? `refused: ${address} is a loopback, private, link-local or otherwise non-public address (WEBHOOK_ALLOW_PRIVATE is off)`
        : `refused: ${host} resolves to ${address}, a loopback, private, link-local or otherwise non-public address (WEBHOOK_ALLOW_PRIVATE is off)`,
    );
  }
}

/** The host of a URL as `net` takes it (IPv6 without brackets). */
export const urlHost = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * The `lookup` of a webhook request: resolves the name, refuses it when any of its addresses is private
 * (unless allowed), and hands the checked addresses to the connection.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, family: options.family, hints: options.hints }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = allowPrivate ? undefined : addresses.find((entry) => isPrivateAddress(entry.address));
      if (refused) return callback(new PrivateAddressError(hostname, refused.address), '', 0);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
      return callback(null, first.address, first.family);
    });
  };
}
