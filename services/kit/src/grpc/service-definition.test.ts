import { create } from '@bufbuild/protobuf';
import { GetAccountRequestSchema, IdentityService } from '@girok/contracts/identity/v1/identity';
import { describe, expect, it } from 'vitest';
import { grpcServiceDefinition } from './service-definition.ts';

describe('grpcServiceDefinition', () => {
  const definition = grpcServiceDefinition(IdentityService);

  it('has one unary method per RPC, keyed by local name, on the /<service>/<Method> path', () => {
    expect(Object.keys(definition)).toHaveLength(IdentityService.methods.length);
    expect(definition.getAccount).toMatchObject({
      path: '/girok.identity.v1.IdentityService/GetAccount',
      originalName: 'GetAccount',
      requestStream: false,
      responseStream: false,
    });
  });

  it('carries messages in their protobuf binary encoding', () => {
    const method = definition.getAccount;
    if (method === undefined) throw new Error('getAccount missing');
    const bytes = method.requestSerialize(create(GetAccountRequestSchema, { accountId: 'acc-1' }));
    // field 1, wire type 2, length 5, "acc-1"
    expect([...bytes]).toEqual([0x0a, 5, ...Buffer.from('acc-1')]);
    expect(method.requestDeserialize(bytes)).toMatchObject({ accountId: 'acc-1' });
  });
});
