import { create, createFileRegistry, type DescService } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { contractProblems } from '@girok/contracts/access';
import { AuditService } from '@girok/contracts/audit/v1/audit';
import { AuthService } from '@girok/contracts/auth/v1/auth';
import { IdentityService } from '@girok/contracts/identity/v1/identity';
import { LegalService } from '@girok/contracts/legal/v1/legal';
import { describe, expect, it } from 'vitest';

/** A service built from a descriptor in the test: one RPC that declares nothing. */
function undeclaredService(): DescService {
  const file = create(FileDescriptorProtoSchema, {
    name: 'girok/test/v1/test.proto',
    package: 'girok.test.v1',
    syntax: 'proto3',
    messageType: [
      {
        name: 'PingRequest',
        field: [{ name: 'account_id', number: 1, type: 9, label: 1, jsonName: 'accountId' }],
      },
      { name: 'PingResponse' },
    ],
    service: [
      {
        name: 'TestService',
        method: [
          {
            name: 'Ping',
            inputType: '.girok.test.v1.PingRequest',
            outputType: '.girok.test.v1.PingResponse',
          },
        ],
      },
    ],
  });
  const service = createFileRegistry(file, () => undefined).getService('girok.test.v1.TestService');
  if (service === undefined) throw new Error('the test descriptor did not load');
  return service;
}

describe('the contract check run by npm run generate', () => {
  it('passes every service of the contracts: each RPC declares who may call it', () => {
    expect(contractProblems([IdentityService, AuthService, LegalService, AuditService])).toEqual([]);
  });

  it('fails an RPC that declares no access, naming it', () => {
    expect(contractProblems([undeclaredService()])).toEqual([
      'girok.test.v1.TestService.Ping: no (girok.common.v1.access) option; declare who may call it',
    ]);
  });
});
