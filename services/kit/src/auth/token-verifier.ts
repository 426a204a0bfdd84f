import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { DomainError } from '../errors/domain-error.ts';

/** The access tokens auth-service issues (docs/architecture.md §3). */
export const TOKEN_TYPES = ['USER_ACCESS', 'ADMIN_ACCESS', 'OPERATOR_ACCESS'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

/** Only asymmetric algorithms: `none` and HMAC (the RS/HS confusion) can never verify. */
export const ACCESS_TOKEN_ALGORITHMS = ['ES256', 'EdDSA'] as const;

/** RFC 9068 JWT access token header type. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/** What auth-service gives an access token (docs/architecture.md §3). */
export const ACCESS_TOKEN_LIFETIME_SECONDS = 900;
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

export interface AccessTokenClaims {
  /** The account id. */
  readonly sub: string;
  /** The identity session the token was issued for (revocation is checked against it). */
  readonly sid: string;
  readonly tokenType: TokenType;
  readonly jti: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  /** Space-separated scopes / permissions granted, if any. */
  readonly scope: readonly string[];
  /** Authentication methods (`pwd`, `otp`, ...): an admin token requires a second factor. */
  readonly amr: readonly string[];
}

export interface TokenVerifierOptions {
  readonly jwksUrl: string | URL;
  readonly issuer: string;
  readonly audience: string | readonly string[];
  /** Leeway for clock skew between issuer and verifier. Default 30 s. */
  readonly clockToleranceSeconds?: number;
  /**
   * The longest `exp - iat` accepted: a longer-lived token was not minted by auth-service as
   * configured (or by a key that should not be trusted with it), and would outlive every
   * revocation record. Default the access-token lifetime plus the clock tolerance.
   */
  readonly maxLifetimeSeconds?: number;
  /** How long a fetched JWKS is trusted before it is fetched again. Default 10 minutes. */
  readonly cacheMaxAgeMs?: number;
  /** A token with an unknown `kid` refetches the JWKS at most this often. Default 30 s. */
  readonly cooldownMs?: number;
  readonly timeoutMs?: number;
}

const invalid = (code: string, message: string) => new DomainError('UNAUTHENTICATED', code, message);

/**
 * Verifies access tokens locally against auth-service's JWKS (cached, kid-aware: a rotated key is
 * fetched on first sight of its `kid`, and keys stay trusted while they are published). Every
 * service uses this one verifier; revocation of the underlying session is a separate check.
 */
export class TokenVerifier {
  readonly #jwks: ReturnType<typeof createRemoteJWKSet>;
  readonly #options: TokenVerifierOptions;
  readonly clockToleranceSeconds: number;
  /** No token this verifier accepts is valid longer than this after its `iat`. */
  readonly maxLifetimeSeconds: number;

  constructor(options: TokenVerifierOptions) {
    this.#options = options;
    this.clockToleranceSeconds = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
    this.maxLifetimeSeconds =
      options.maxLifetimeSeconds ?? ACCESS_TOKEN_LIFETIME_SECONDS + this.clockToleranceSeconds;
    this.#jwks = createRemoteJWKSet(new URL(options.jwksUrl), {
      cacheMaxAge: options.cacheMaxAgeMs ?? 10 * 60_000,
      cooldownDuration: options.cooldownMs ?? 30_000,
      timeoutDuration: options.timeoutMs ?? 5_000,
    });
  }

  async verify(token: string): Promise<AccessTokenClaims> {
    if (token === '' || token.length > 8192)
      throw invalid('TOKEN_INVALID', 'The access token is missing or malformed');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#jwks, {
        algorithms: [...ACCESS_TOKEN_ALGORITHMS],
        issuer: this.#options.issuer,
        audience: [
          ...(typeof this.#options.audience === 'string' ? [this.#options.audience] : this.#options.audience),
        ],
        typ: ACCESS_TOKEN_TYP,
        clockTolerance: this.clockToleranceSeconds,
        requiredClaims: ['sub', 'sid', 'token_type', 'jti', 'iat', 'exp'],
      }));
    } catch (error) {
      throw translate(error);
    }
    this.#checkLifetime(payload);
    const tokenType = payload.token_type;
    if (typeof tokenType !== 'string' || !(TOKEN_TYPES as readonly string[]).includes(tokenType)) {
      throw invalid('TOKEN_CLAIMS_INVALID', 'The access token has an unknown token_type');
    }
    const strings = (value: unknown) =>
      Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
    return {
      sub: String(payload.sub),
      sid: String(payload.sid),
      tokenType: tokenType as TokenType,
      jti: String(payload.jti),
      issuedAt: new Date((payload.iat ?? 0) * 1000),
      expiresAt: new Date((payload.exp ?? 0) * 1000),
      scope: typeof payload.scope === 'string' ? payload.scope.split(' ').filter((s) => s !== '') : [],
      amr: strings(payload.amr),
    };
  }

  /** jose checks `iat` only against a maximum age, so a future or a far-off `iat` is ours to refuse. */
  #checkLifetime(payload: JWTPayload): void {
    const iat = payload.iat ?? 0;
    const exp = payload.exp ?? 0;
    if (iat > Date.now() / 1000 + this.clockToleranceSeconds) {
      throw invalid('TOKEN_ISSUED_IN_FUTURE', 'The access token is issued in the future');
    }
    if (exp - iat > this.maxLifetimeSeconds) {
      throw invalid(
        'TOKEN_LIFETIME_TOO_LONG',
        'The access token is valid for longer than access tokens are issued',
      );
    }
  }
}

/** jose's errors in the domain vocabulary; an unreachable JWKS is the issuer's outage, not the caller's fault. */
function translate(error: unknown): DomainError {
  if (error instanceof errors.JWTExpired)
    return invalid('TOKEN_EXPIRED', 'The access token has expired; refresh it');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return invalid('TOKEN_CLAIMS_INVALID', `The access token's ${error.claim} claim is not acceptable`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return invalid('TOKEN_ALGORITHM_NOT_ALLOWED', 'The access token is not signed with an allowed algorithm');
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return invalid(
      'TOKEN_KEY_UNKNOWN',
      'The access token was signed by a key that is not (or no longer) published',
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return invalid('TOKEN_SIGNATURE_INVALID', 'The access token signature does not verify');
  }
  if (error instanceof errors.JWKSTimeout || (error instanceof TypeError && /fetch/i.test(error.message))) {
    return new DomainError(
      'UNAVAILABLE',
      'JWKS_UNAVAILABLE',
      'The token issuer keys cannot be fetched; retry shortly',
      {
        cause: error,
        retryAfterSeconds: 1,
      },
    );
  }
  if (error instanceof errors.JOSEError) return invalid('TOKEN_INVALID', 'The access token is malformed');
  return invalid('TOKEN_INVALID', 'The access token could not be verified');
}
