import { BlockList, isIP } from 'node:net';

declare module 'fastify' {
  interface FastifyRequest {
    /** The browser's address: X-Forwarded-For believed only as far as trusted proxies wrote it. */
    clientAddress: string;
  }
}

/** `10.0.0.0/8`, `2001:db8::/32` or one address; throws naming the entry that does not parse. */
export function parseCidr(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', prefixText, ...rest] = entry.split('/');
  const version = isIP(address);
  const bits = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (version === 0 || rest.length > 0 || !/^\d*$/.test(prefixText ?? '') || prefix > bits || prefix < 0)
    throw new Error(`"${entry}" is not an IP address or CIDR range`);
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** A dual-stack socket reports IPv4 peers as `::ffff:a.b.c.d`. */
const plain = (address: string): string =>
  address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;

/**
 * The proxies (the Gateway's range) whose X-Forwarded-For is believed. The same semantics as
 * Fastify's `trustProxy` with a CIDR list, which the kit's shared Fastify instance does not take:
 * walk from the TCP peer leftwards through X-Forwarded-For while the hop is trusted; the first
 * untrusted hop is the client. With no trusted proxy the header is never read.
 */
export class TrustedProxies {
  readonly #ranges = new BlockList();
  readonly #empty: boolean;

  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const { address, prefix, family } = parseCidr(cidr);
      this.#ranges.addSubnet(address, prefix, family);
    }
    this.#empty = cidrs.length === 0;
  }

  trusts(address: string): boolean {
    const version = isIP(address);
    return version !== 0 && this.#ranges.check(address, version === 4 ? 'ipv4' : 'ipv6');
  }

  clientAddress(peer: string, forwardedFor: string | string[] | undefined): string {
    let client = plain(peer);
    if (this.#empty || forwardedFor === undefined) return client;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
    while (this.trusts(client)) {
      const next = plain(hops.pop()?.trim() ?? '');
      // A trusted proxy that wrote garbage (or nothing more): the last hop it vouched for stands.
      if (isIP(next) === 0) return client;
      client = next;
    }
    return client;
  }
}

/**
 * Who a per-address limit counts: an IPv4 address, or the /64 an IPv6 address is in (one host is
 * given a whole /64, so counting single IPv6 addresses would give it 2^64 allowances).
 */
export function addressBlock(address: string): string {
  const bare = address.split('%')[0] ?? '';
  if (isIP(bare) !== 6) return address;
  // A dotted IPv4 tail stands for the last two groups; only the first four matter here.
  const groups = (part: string) =>
    part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  const [head = '', tail] = bare.split('::');
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
  return `${all
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
