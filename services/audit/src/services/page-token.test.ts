import { DomainError, Violations } from '@girok/kit/errors';
import { describe, expect, it } from 'vitest';
import { decodePageToken, encodePageToken, pageSize } from './page-token.ts';

const decode = (token: string, scope: string) => {
  const v = new Violations();
  const cursor = decodePageToken(token, scope, v);
  v.throwIfAny();
  return cursor;
};

describe('page tokens', () => {
  it('round-trips the cursor of the same query', () => {
    const cursor = { occurredAtMs: 1_767_225_600_123, id: '019a0000-0000-7000-8000-000000000001' };
    const token = encodePageToken(cursor, 'login:a');
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decode(token, 'login:a')).toEqual(cursor);
  });

  it('an empty token is the first page', () => {
    expect(decode('', 'x')).toBeUndefined();
  });

  it("refuses another query's token, and tokens that are not ours", () => {
    const token = encodePageToken({ occurredAtMs: 1, id: 'a' }, 'login:a');
    for (const [bad, scope] of [
      [token, 'login:b'],
      ['not a token', 'login:a'],
      [Buffer.from('{"v":1,"t":-1,"i":"a"}').toString('base64url'), 'login:a'],
      [Buffer.from('[]').toString('base64url'), 'login:a'],
      [Buffer.from('{').toString('base64url'), 'login:a'],
      ['x'.repeat(2000), 'login:a'],
    ] as const) {
      const error = (() => {
        try {
          decode(bad, scope);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({
        kind: 'INVALID_ARGUMENT',
        fieldViolations: [{ field: 'page.page_token' }],
      });
    }
  });

  it('carries ids with any characters safely (they are bound as SQL literals later)', () => {
    const cursor = { occurredAtMs: 5, id: "x'|\\\n" };
    expect(decode(encodePageToken(cursor, 's'), 's')).toEqual(cursor);
  });

  it('defaults the page size to 20 and caps it at 100', () => {
    expect(pageSize(undefined)).toBe(20);
    expect(pageSize(0)).toBe(20);
    expect(pageSize(-3)).toBe(20);
    expect(pageSize(7)).toBe(7);
    expect(pageSize(1000)).toBe(100);
  });
});
