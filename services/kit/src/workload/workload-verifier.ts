import { errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { VerifiedCache } from '../auth/verified-cache.ts';
import { DomainError } from '../errors/domain-error.ts';
import { JWKS_CACHE_MAX_AGE_MS, jwksSource, jwksUnavailable } from './jwks-source.ts';

/** A verified platform component. */
export interface WorkloadIdentity {
  /** The component name (`auth-bff`, `identity-service`, ...). */
  readonly component: string;
  /** The token's subject, `system:serviceaccount:<namespace>:<serviceaccount>`. */
  readonly subject: string;
}

export interface WorkloadVerifierOptions {
  /** The expected `iss` (in Kubernetes: the API server's `--service-account-issuer`). */
  readonly issuer: string;
  /** The audience the token must be minted for (`girok`). */
  readonly audience: string;
  /**
   * `https://…`: fetched, cached, fetched again on an unknown kid (with a cooldown);
   * `file:///…`: a JWKS file, read again when it changes.
   */
  readonly jwks: string;
  /** CA bundle for an https JWKS (in a Pod: the serviceaccount `ca.crt`). */
  readonly caFile?: string | undefined;
  /** Bearer token to fetch the JWKS with: the API server serves it to authenticated callers only. */
  readonly bearerTokenFile?: string | undefined;
  /** Only ServiceAccounts of this namespace are trusted. */
  readonly namespace: string;
  /** ServiceAccount name = prefix + component, e.g. `girok-dev-` + `auth-bff`. */
  readonly serviceAccountPrefix: string;
  /** The known component names; any other ServiceAccount is refused. */
  readonly components: readonly string[];
  /** Refuse tokens whose `exp - iat` exceeds this. Default 24 h. */
  readonly maxLifetimeSeconds?: number | undefined;
  readonly clock?: (() => Date) | undefined;
}

/**
 * What the Kubernetes service-account issuer signs with (RSA or ECDSA keys); `none` and HMAC
 * (the public-key-as-secret confusion) can never verify.
 */
export const WORKLOAD_TOKEN_ALGORITHMS = ['RS256', 'ES256', 'ES384', 'ES512'] as const;

/** Clock skew tolerated between the issuer and this process, on every time claim. */
const SKEW_SECONDS = 60;
const DEFAULT_MAX_LIFETIME_SECONDS = 24 * 3600;
const SUBJECT_PREFIX = 'system:serviceaccount:';

const invalid = (message: string, code = 'WORKLOAD_TOKEN_INVALID') =>
  new DomainError('UNAUTHENTICATED', code, message);

/**
 * Verifies the ServiceAccount tokens platform components call each other with: signed by the
 * cluster's service-account issuer (or local mode's), for our audience, short-lived, and naming
 * the ServiceAccount of a known component in our namespace.
 */
export class WorkloadVerifier {
  readonly #options: WorkloadVerifierOptions;
  readonly #keys: JWTVerifyGetKey;
  readonly #clock: () => Date;
  readonly #maxLifetimeSeconds: number;
  // A component sends the same token on every call until the kubelet rotates it.
  readonly #verified = new VerifiedCache<WorkloadIdentity>({ maxAgeMs: JWKS_CACHE_MAX_AGE_MS });

  constructor(options: WorkloadVerifierOptions) {
    this.#options = options;
    this.#keys = jwksSource(options);
    this.#clock = options.clock ?? (() => new Date());
    this.#maxLifetimeSeconds = options.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS;
  }

  async verify(token: string): Promise<WorkloadIdentity> {
    if (typeof token !== 'string' || token === '' || token.length > 8192) {
      throw invalid('The workload token is missing or malformed');
    }
    const now = this.#clock();
    const known = this.#verified.get(token, now.getTime());
    if (known !== undefined) return known;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#keys, {
        algorithms: [...WORKLOAD_TOKEN_ALGORITHMS],
        issuer: this.#options.issuer,
        audience: this.#options.audience,
        currentDate: now,
        clockTolerance: SKEW_SECONDS,
        requiredClaims: ['sub', 'iat', 'exp'],
      }));
    } catch (error) {
      throw translate(error);
    }
    const { iat, exp } = payload;
    if (typeof iat !== 'number' || typeof exp !== 'number')
      throw invalid('The workload token has no lifetime');
    if (iat > now.getTime() / 1000 + SKEW_SECONDS)
      throw invalid('The workload token is issued in the future');
    if (exp - iat > this.#maxLifetimeSeconds) {
      throw invalid(
        `The workload token lives longer than ${this.#maxLifetimeSeconds} s; mint short-lived tokens`,
      );
    }
    const identity = { component: this.#component(payload), subject: String(payload.sub) };
    this.#verified.set(token, identity, exp * 1000, now.getTime());
    return identity;
  }

  #component(payload: JWTPayload): string {
    const subject = typeof payload.sub === 'string' ? payload.sub : '';
    const [namespace, name, ...rest] = subject.startsWith(SUBJECT_PREFIX)
      ? subject.slice(SUBJECT_PREFIX.length).split(':')
      : [];
    if (namespace === undefined || name === undefined || rest.length > 0) {
      throw unknown('The workload token does not name a ServiceAccount');
    }
    const kubernetes = payload['kubernetes.io'] as
      | { namespace?: unknown; serviceaccount?: { name?: unknown } }
      | undefined;
    if (
      kubernetes !== undefined &&
      (typeof kubernetes !== 'object' ||
        kubernetes === null ||
        kubernetes.namespace !== namespace ||
        kubernetes.serviceaccount?.name !== name)
    ) {
      throw invalid('The workload token names two different ServiceAccounts');
    }
    const { namespace: trusted, serviceAccountPrefix: prefix, components } = this.#options;
    const component = name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
    if (namespace !== trusted || component === undefined || !components.includes(component)) {
      throw unknown(`The ServiceAccount ${namespace}/${name} is not a platform component`);
    }
    return component;
  }
}

const unknown = (message: string) => invalid(message, 'WORKLOAD_UNKNOWN');

/** jose's errors in the domain vocabulary; an unreachable key set is the issuer's outage, not the caller's fault. */
function translate(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof errors.JWTExpired) {
    return invalid('The workload token has expired; read the rotated token', 'WORKLOAD_TOKEN_EXPIRED');
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return invalid(`The workload token's ${error.claim} claim is not acceptable`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return invalid('The workload token is not signed with an allowed algorithm');
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return invalid('The workload token was signed by a key the issuer does not publish');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return invalid('The workload token signature does not verify');
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return jwksUnavailable("The workload issuer's key set cannot be fetched; retry shortly", error);
  }
  return invalid('The workload token is malformed');
}
