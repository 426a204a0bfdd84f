import { createPublicKey } from 'node:crypto';
import { CompactSign, calculateJwkThumbprint, compactVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateSigningKey, importPrivateKey, publishedJwk } from './signing-key-material.ts';

describe('signing key material', () => {
  it('is a P-256 pair whose kid is the RFC 7638 thumbprint of the public key', async () => {
    const key = await generateSigningKey();
    expect(key.publicJwk.kty).toBe('EC');
    expect(key.publicJwk.crv).toBe('P-256');
    expect(key.kid).toBe(await calculateJwkThumbprint({ ...key.publicJwk }, 'sha256'));
    expect(Object.keys(key.publicJwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(JSON.parse(key.privateJwkJson)).toHaveProperty('d');
    expect((await generateSigningKey()).kid).not.toBe(key.kid);
  });

  it('the stored private half signs what the published public half verifies', async () => {
    const key = await generateSigningKey();
    const jws = await new CompactSign(new TextEncoder().encode('hello'))
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .sign(importPrivateKey(key.privateJwkJson));
    const published = publishedJwk(key.kid, key.publicJwk);
    expect(published).toEqual({ ...key.publicJwk, kid: key.kid, alg: 'ES256', use: 'sig' });
    expect(published).not.toHaveProperty('d');
    const { payload } = await compactVerify(jws, await importJWK(published, 'ES256'));
    expect(new TextDecoder().decode(payload)).toBe('hello');
    expect(createPublicKey(importPrivateKey(key.privateJwkJson)).export({ format: 'jwk' }).x).toBe(
      key.publicJwk.x,
    );
  });
});
