import type { AuditService } from '@girok/contracts/audit/v1/audit';
import type { AuthService } from '@girok/contracts/auth/v1/auth';
import type { IdentityService } from '@girok/contracts/identity/v1/identity';
import type { LegalService } from '@girok/contracts/legal/v1/legal';
import type { GrpcClient } from '@girok/kit/grpc';

/** Injection tokens for what is not a class of this service. */
export const CONFIG = Symbol('BffConfig');
export const LOGGER = Symbol('Logger');
export const KV_STORE = Symbol('KeyValueStore');
export const PUB_SUB = Symbol('PubSub');
export const TOKEN_VERIFIER = Symbol('TokenVerifier');
export const IDENTITY = Symbol('GrpcClient<IdentityService>');
export const AUTH = Symbol('GrpcClient<AuthService>');
export const LEGAL = Symbol('GrpcClient<LegalService>');
export const AUDIT = Symbol('GrpcClient<AuditService>');

export type IdentityClient = GrpcClient<typeof IdentityService>;
export type AuthClient = GrpcClient<typeof AuthService>;
export type LegalClient = GrpcClient<typeof LegalService>;
export type AuditClient = GrpcClient<typeof AuditService>;
