import { httpOf } from '@girok/contracts/access';
import { IdentityService } from '@girok/contracts/identity/v1/identity';
import { LegalService } from '@girok/contracts/legal/v1/legal';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors/domain-error.ts';
import { queryToJson, requestFromHttp } from './rest-face.ts';

const listLaws = LegalService.method.listLaws;
const listSessions = IdentityService.method.listSessions;

function violation(run: () => unknown): { field: string; description: string } | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error.fieldViolations[0];
    throw error;
  }
  return undefined;
}

describe('REST query parameters', () => {
  it('never reach an inherited property: __proto__, constructor and prototype keys are refused', () => {
    for (const key of ['__proto__.polluted', '__proto__', 'constructor.prototype.polluted', 'toString']) {
      expect(violation(() => queryToJson(listLaws.input, { [key]: '1' }))).toEqual({
        field: key,
        description: 'unknown query parameter',
      });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('nest dotted keys through message fields only, and type booleans by the schema', () => {
    expect(queryToJson(listSessions.input, { 'page.pageSize': '10', includeRevoked: 'true' })).toEqual({
      page: { pageSize: '10' },
      includeRevoked: true,
    });
    expect(violation(() => queryToJson(listSessions.input, { 'accountId.x': '1' }))?.description).toBe(
      'only message fields have nested fields',
    );
    expect(violation(() => queryToJson(listSessions.input, { page: '1' }))?.description).toBe(
      'name a scalar field (dotted for nested ones)',
    );
  });

  it('a body key that is no field is refused, and the path wins over the body', () => {
    const http = httpOf(listSessions);
    if (http === undefined) throw new Error('ListSessions has a REST face');
    const request = requestFromHttp(listSessions, http, {
      params: { account_id: 'from-path' },
      query: {},
      body: undefined,
    }) as unknown as { accountId: string };
    expect(request.accountId).toBe('from-path');
    const grant = IdentityService.method.changePassword;
    const grantHttp = httpOf(grant);
    if (grantHttp === undefined) throw new Error('ChangePassword has a REST face');
    expect(
      violation(() =>
        requestFromHttp(grant, grantHttp, {
          params: { account_id: 'a' },
          query: {},
          body: JSON.parse('{"__proto__": {"polluted": 1}}'),
        }),
      ),
    ).toEqual({ field: '__proto__', description: 'unknown field' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
