import { createPrivateKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { PublicJwk } from '../schema/database.ts';

/** The one algorithm keys are made for: ECDSA P-256 with SHA-256 (RFC 7518 §3.4). */
export const SIGNING_ALGORITHM = 'ES256';

export interface NewSigningKey {
  /** RFC 7638 thumbprint of the public key: stable, derived, never reused by another key. */
  readonly kid: string;
  readonly publicJwk: PublicJwk;
  /** The private JWK as JSON text: what gets encrypted at rest. */
  readonly privateJwkJson: string;
}

/** A fresh P-256 key pair. */
export async function generateSigningKey(): Promise<NewSigningKey> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || jwk.x === undefined || jwk.y === undefined) {
    throw new Error('node:crypto did not export a P-256 JWK');
  }
  const publicJwk: PublicJwk = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  const kid = await calculateJwkThumbprint(publicJwk as JWK, 'sha256');
  return { kid, publicJwk, privateJwkJson: JSON.stringify(jwk) };
}

export function importPrivateKey(privateJwkJson: string): KeyObject {
  return createPrivateKey({ key: JSON.parse(privateJwkJson) as JsonWebKey, format: 'jwk' });
}

/** A key as the JWKS publishes it (RFC 7517 §4). */
export function publishedJwk(kid: string, jwk: PublicJwk) {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid, alg: SIGNING_ALGORITHM, use: 'sig' };
}
