import { describe, expect, it } from 'vitest';
import { addressBlock, parseCidr, TrustedProxies } from './client-address.ts';

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

describe('addressBlock', () => {
  it('counts an IPv4 address alone and an IPv6 address by its /64, however it is written', () => {
    expect(addressBlock('203.0.113.5')).toBe('203.0.113.5');
    expect(addressBlock('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(addressBlock('2001:0db8:0000:0001:ffff:1:2:3')).toBe('2001:db8:0:1::/64');
    expect(addressBlock('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressBlock('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressBlock('::1')).toBe('0:0:0:0::/64');
    expect(addressBlock('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
  });
});
