import type { DescMethod, Message } from '@bufbuild/protobuf';
import { Audience, accessOf, type MethodAccess } from '@girok/contracts/access';
import { authenticate, firstMatch } from '../auth/permissions.ts';
import type { AccessTokenClaims } from '../auth/token-verifier.ts';
import { DomainError } from '../errors/domain-error.ts';

/** The header (REST) and metadata key (gRPC) that carries the calling component's workload token. */
export const WORKLOAD_TOKEN_HEADER = 'girok-workload';

/** Nobody proved anything: only PUBLIC methods see this caller. */
export interface AnonymousCaller {
  readonly kind: 'anonymous';
}

/** An end user (or admin, or operator) proven by an access token of auth-service. */
export interface UserCaller {
  readonly kind: 'user';
  readonly accountId: string;
  readonly sessionId: string;
  readonly claims: AccessTokenClaims;
}

/** A platform component proven by its workload token (a projected ServiceAccount token). */
export interface WorkloadCaller {
  readonly kind: 'workload';
  /** `auth-bff`, `auth-service`, ... */
  readonly component: string;
  readonly subject: string;
}

/** Who makes a call, verified before any handler runs. Handlers never read raw credentials. */
export type Caller = AnonymousCaller | UserCaller | WorkloadCaller;

/** Verifies end-user access tokens (the kit's TokenVerifier, plus revocation where wired). */
export interface UserTokenVerifier {
  verify(token: string): Promise<AccessTokenClaims>;
}

/** Verifies workload tokens (`@girok/kit/workload`'s WorkloadVerifier). */
export interface WorkloadTokenVerifier {
  verify(token: string): Promise<{ readonly component: string; readonly subject: string }>;
}

/** What a call presented: the `authorization` header and the workload token, as sent. */
export interface Credentials {
  readonly authorization: string | undefined;
  readonly workload: string | undefined;
}

const ANONYMOUS: AnonymousCaller = { kind: 'anonymous' };
const ELEVATED = new Set(['ADMIN_ACCESS', 'OPERATOR_ACCESS']);

/** Whether the caller's token holds `permission` (for answers that differ by role rather than refuse). */
export function holds(caller: Caller, permission: string): boolean {
  return caller.kind === 'user' && firstMatch(caller.claims.scope, permission) !== undefined;
}

/** The caller's account, for handlers of USER methods that scope what they read to the caller. */
export function accountOf(caller: Caller): string | undefined {
  return caller.kind === 'user' ? caller.accountId : undefined;
}

const denied = (code: string, message: string) => new DomainError('PERMISSION_DENIED', code, message);

/**
 * Enforces the `(girok.common.v1.access)` declaration of every RPC, for gRPC and REST alike:
 * `authenticate` proves who calls (UNAUTHENTICATED when nothing acceptable was presented), then
 * `authorize` checks what the declaration asks of that caller against the parsed request
 * (PERMISSION_DENIED). A method without a declaration cannot be mounted (`accessOf` throws).
 */
export class CallerAuthenticator {
  readonly #users: UserTokenVerifier;
  readonly #workloads: WorkloadTokenVerifier;

  constructor(options: { users: UserTokenVerifier; workloads: WorkloadTokenVerifier }) {
    this.#users = options.users;
    this.#workloads = options.workloads;
  }

  async authenticate(access: MethodAccess, credentials: Credentials): Promise<Caller> {
    if (access.audience === Audience.PUBLIC) return ANONYMOUS;
    const workloadToken = credentials.workload?.trim() ?? '';
    if (workloadToken !== '' && access.workloads.length > 0) {
      const workload = await this.#workloads.verify(workloadToken);
      if (access.workloads.includes(workload.component)) {
        return { kind: 'workload', component: workload.component, subject: workload.subject };
      }
      if (access.audience === Audience.WORKLOADS) {
        throw denied('WORKLOAD_NOT_ALLOWED', `${workload.component} may not call this method`);
      }
    }
    if (access.audience === Audience.WORKLOADS) {
      throw new DomainError(
        'UNAUTHENTICATED',
        'WORKLOAD_TOKEN_MISSING',
        `Only platform components may call this method: send the component's workload token in ${WORKLOAD_TOKEN_HEADER}`,
      );
    }
    const claims = await authenticate(this.#users, credentials.authorization);
    // Admin and operator tokens are issued only after a second factor; one without is not ours.
    if (ELEVATED.has(claims.tokenType) && !claims.amr.includes('otp')) {
      throw denied('MFA_REQUIRED', 'Admin and operator tokens need a second factor');
    }
    return { kind: 'user', accountId: claims.sub, sessionId: claims.sid, claims };
  }

  /**
   * Checks the declaration against the request: PERMISSION needs the permission in the token;
   * USER may name only the caller's own account unless the token holds the declared permission;
   * the actor field is filled with the caller (and refused when it names someone else).
   */
  authorize(method: DescMethod, access: MethodAccess, caller: Caller, request: Message): void {
    if (caller.kind !== 'user') return;
    if (access.audience === Audience.PERMISSION && !holds(caller, access.permission)) {
      throw denied('PERMISSION_DENIED', `This needs the ${access.permission} permission`);
    }
    const fields = request as unknown as Record<string, unknown>;
    if (access.audience === Audience.USER && access.accountField !== '') {
      const named = fields[localName(method, access.accountField)];
      const other = named !== caller.accountId;
      if (other && (access.permission === '' || !holds(caller, access.permission))) {
        throw denied(
          'NOT_OWN_ACCOUNT',
          access.permission === ''
            ? 'Only the account itself may do this'
            : `Acting on another account needs the ${access.permission} permission`,
        );
      }
    }
    if (access.actorField !== '') {
      const key = localName(method, access.actorField);
      if (fields[key] === '' || fields[key] === undefined) fields[key] = caller.accountId;
      else if (fields[key] !== caller.accountId) {
        throw denied('ACTOR_MISMATCH', `${access.actorField} must be the caller's own account or empty`);
      }
    }
  }

  /** authenticate + authorize for one call of `method`. */
  async check(method: DescMethod, credentials: Credentials, request: Message): Promise<Caller> {
    const access = accessOf(method);
    const caller = await this.authenticate(access, credentials);
    this.authorize(method, access, caller, request);
    return caller;
  }
}

function localName(method: DescMethod, protoName: string): string {
  const field = method.input.fields.find((f) => f.name === protoName);
  if (field === undefined) throw new Error(`${method.input.typeName} has no field ${protoName}`);
  return field.localName;
}
