import { DomainError } from '@girok/kit/errors';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { domainErrorOf } from './graphql-errors.ts';

describe('domainErrorOf', () => {
  it('reads a variable the schema refuses, as mercurius wraps it, as the client’s mistake (400), not INTERNAL', () => {
    const coercion = new GraphQLError('Field "country" of required type "String!" was not provided.');
    const wrapped = new GraphQLError(coercion.message, { originalError: coercion });
    const domain = domainErrorOf(wrapped);
    expect(domain.kind).toBe('INVALID_ARGUMENT');
    expect(domain.httpStatus).toBe(400);
    expect(domain.message).toContain('country');
  });

  it('keeps a domain error as it is and hides anything else as INTERNAL', () => {
    const domain = new DomainError('NOT_FOUND', 'ACCOUNT_NOT_FOUND', 'no such account');
    expect(domainErrorOf(new GraphQLError('x', { originalError: domain }))).toBe(domain);
    expect(domainErrorOf(new GraphQLError('x', { originalError: new Error('db down') })).kind).toBe(
      'INTERNAL',
    );
  });
});
