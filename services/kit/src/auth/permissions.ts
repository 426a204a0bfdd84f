import type { Metadata } from '@grpc/grpc-js';
import { DomainError } from '../errors/domain-error.ts';
import type { AccessTokenClaims, TokenVerifier } from './token-verifier.ts';

/** Whether `pattern` (`resource:action`, `resource:*` or `*`) grants the concrete `permission`. */
export function permissionMatches(pattern: string, permission: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith(':*')) return permission.startsWith(pattern.slice(0, -1));
  return pattern === permission;
}

/** The first pattern in `patterns` that matches `permission`, if any. */
export function firstMatch(patterns: readonly string[], permission: string): string | undefined {
  return patterns.find((pattern) => permissionMatches(pattern, permission));
}

/**
 * Who is calling a service: the access token in `authorization: Bearer …` (REST header or gRPC
 * metadata), verified locally. Missing or invalid → UNAUTHENTICATED.
 */
export async function authenticate(
  verifier: Pick<TokenVerifier, 'verify'>,
  authorization: string | readonly (string | Buffer)[] | undefined,
): Promise<AccessTokenClaims> {
  const value = Array.isArray(authorization) ? authorization[0] : authorization;
  const text = typeof value === 'string' ? value : value === undefined ? '' : value.toString();
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(text);
  if (match?.[1] === undefined) {
    throw new DomainError(
      'UNAUTHENTICATED',
      'TOKEN_MISSING',
      'Send an access token: authorization: Bearer <token>',
    );
  }
  return verifier.verify(match[1]);
}

/** The gRPC form of {@link authenticate}. */
export const authenticateCall = (verifier: TokenVerifier, metadata: Metadata) =>
  authenticate(verifier, metadata.get('authorization') as (string | Buffer)[]);

/**
 * The caller's token must carry `permission` in its scope (admins' and operators' tokens list what
 * their roles and assignments grant; users' carry none).
 */
export function requirePermission(claims: AccessTokenClaims, permission: string): void {
  if (firstMatch(claims.scope, permission) === undefined) {
    throw new DomainError(
      'PERMISSION_DENIED',
      'PERMISSION_DENIED',
      `This needs the ${permission} permission`,
    );
  }
}

/** The caller acts on their own account, or holds `permission` to act on anyone's. */
export function requireSelfOrPermission(
  claims: AccessTokenClaims,
  accountId: string,
  permission: string,
): void {
  if (claims.sub !== accountId) requirePermission(claims, permission);
}
