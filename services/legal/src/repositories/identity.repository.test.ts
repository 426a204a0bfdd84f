import type { IdentityService } from '@girok/contracts/identity/v1/identity';
import { DomainError } from '@girok/kit/errors';
import type { GrpcClient } from '@girok/kit/grpc';
import { describe, expect, it } from 'vitest';
import { IdentityRepository } from './identity.repository.ts';

const failingWith = (error: DomainError) =>
  new IdentityRepository({
    getAccount: () => Promise.reject(error),
  } as unknown as GrpcClient<typeof IdentityService>);

describe('IdentityRepository', () => {
  it("turns identity refusing legal-service's workload credential into an internal fault, not the caller's", async () => {
    for (const refusal of [
      new DomainError('UNAUTHENTICATED', 'TOKEN_MISSING', 'Send an access token'),
      new DomainError('PERMISSION_DENIED', 'WORKLOAD_NOT_ALLOWED', 'legal-service may not call this method'),
    ]) {
      await expect(failingWith(refusal).countryOf('a')).rejects.toMatchObject({
        kind: 'INTERNAL',
        code: 'WORKLOAD_CREDENTIAL_REFUSED',
      });
    }
  });

  it("passes identity's answers about the account through (NOT_FOUND)", async () => {
    const missing = new DomainError('NOT_FOUND', 'ACCOUNT_NOT_FOUND', 'No such account');
    await expect(failingWith(missing).countryOf('a')).rejects.toBe(missing);
  });
});
