import { describe, expect, it } from 'vitest';
import { parseCidr, TrustedProxies } from './client-address.ts';

describe('TrustedProxies', () => {
  const gateway = new TrustedProxies(['10.0.0.0/8', '2001:db8::/32']);

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(gateway.clientAddress('203.0.113.5', '198.51.100.1')).toBe('203.0.113.5');
    expect(new TrustedProxies([]).clientAddress('10.1.2.3', '198.51.100.1')).toBe('10.1.2.3');
  });

  it('walks the chain from the right past trusted hops to the first untrusted one', () => {
    expect(gateway.clientAddress('10.0.0.1', '198.51.100.7, 203.0.113.9, 10.2.0.4')).toBe('203.0.113.9');
    expect(gateway.clientAddress('::ffff:10.0.0.1', ['198.51.100.7', '2001:db8::9'])).toBe('198.51.100.7');
  });

  it('stops at the last trusted hop when the chain ends or holds garbage', () => {
    expect(gateway.clientAddress('10.0.0.1', undefined)).toBe('10.0.0.1');
    expect(gateway.clientAddress('10.0.0.1', 'not-an-ip, 10.0.0.2')).toBe('10.0.0.2');
  });

  it('refuses entries that are not an address or CIDR range', () => {
    expect(parseCidr('192.0.2.1')).toEqual({ address: '192.0.2.1', prefix: 32, family: 'ipv4' });
    for (const bad of ['10.0.0.0/33', 'gateway', '10.0.0.0/8/1', '10.0.0.0/x', '::/129'])
      expect(() => parseCidr(bad), bad).toThrow(/not an IP address or CIDR/);
  });
});
