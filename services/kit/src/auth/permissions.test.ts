import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  authenticateCall,
  permissionMatches,
  requirePermission,
  requireSelfOrPermission,
} from './permissions.ts';
import type { AccessTokenClaims, TokenVerifier } from './token-verifier.ts';

const claims = (scope: string[], sub = 'me'): AccessTokenClaims => ({
  sub,
  sid: 's',
  tokenType: 'ADMIN_ACCESS',
  jti: 'j',
  issuedAt: new Date(),
  expiresAt: new Date(),
  scope,
  amr: ['pwd', 'otp'],
});

describe('permissions', () => {
  it('matches exact names, resource wildcards and the global wildcard only', () => {
    expect(permissionMatches('legal_document:manage', 'legal_document:manage')).toBe(true);
    expect(permissionMatches('legal_document:*', 'legal_document:manage')).toBe(true);
    expect(permissionMatches('legal:*', 'legal_document:manage')).toBe(false);
    expect(permissionMatches('*', 'anything:at_all')).toBe(true);
    expect(permissionMatches('law:manage', 'legal_document:manage')).toBe(false);
  });

  it('requires the permission in the token scope, or the caller’s own account', () => {
    expect(() => requirePermission(claims(['audit:read']), 'audit:read')).not.toThrow();
    expect(() => requirePermission(claims([]), 'audit:read')).toThrow(
      expect.objectContaining({ kind: 'PERMISSION_DENIED' }),
    );
    expect(() => requireSelfOrPermission(claims([], 'me'), 'me', 'dsr:manage')).not.toThrow();
    expect(() => requireSelfOrPermission(claims([], 'me'), 'someone', 'dsr:manage')).toThrow();
  });

  it('refuses a call without a bearer token before verifying anything', async () => {
    const verifier = { verify: async () => claims([]) } as unknown as TokenVerifier;
    await expect(authenticateCall(verifier, new Metadata())).rejects.toMatchObject({ code: 'TOKEN_MISSING' });
    const metadata = new Metadata();
    metadata.set('authorization', 'Bearer abc.def.ghi');
    await expect(authenticateCall(verifier, metadata)).resolves.toMatchObject({ sub: 'me' });
  });
});
