import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { DomainError, ErrorKind } from '../errors/domain-error.ts';
import {
  domainErrorFromStatus,
  ERROR_DETAIL_KEY,
  errorDetailFrom,
  errorDetailTrailer,
  kindOfStatus,
} from './grpc-errors.ts';

const failure = (code: number, metadata = new Metadata()) =>
  Object.assign(new Error('transport text: connect ECONNREFUSED 10.1.2.3:50051'), {
    code,
    details: 'x',
    metadata,
  });

describe('gRPC errors', () => {
  it('maps every error kind back to itself through its gRPC status', () => {
    for (const kind of Object.keys(ErrorKind) as ErrorKind[]) {
      expect(kindOfStatus(ErrorKind[kind].grpc)).toBe(kind);
    }
  });

  it('round-trips code, message, field violations, retry-after and correlation id through the trailer', () => {
    const trailer = errorDetailTrailer(
      {
        code: 'ACCOUNT_LOCKED',
        message: 'Too many attempts',
        fieldViolations: [{ field: 'email', description: 'unknown' }],
        retryAfterSeconds: 900,
      },
      'req-1',
    );
    expect(trailer.get(ERROR_DETAIL_KEY)[0]).toBeInstanceOf(Buffer);
    expect(errorDetailFrom(trailer)).toMatchObject({
      code: 'ACCOUNT_LOCKED',
      message: 'Too many attempts',
      fieldViolations: [{ field: 'email', description: 'unknown' }],
      retryAfterSeconds: 900,
      correlationId: 'req-1',
    });
    const error = domainErrorFromStatus(
      failure(status.RESOURCE_EXHAUSTED, trailer),
      'IdentityService.Authenticate',
    );
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      kind: 'RESOURCE_EXHAUSTED',
      code: 'ACCOUNT_LOCKED',
      retryAfterSeconds: 900,
    });
  });

  it('names the target, never the transport text, when there is no trailer', () => {
    const error = domainErrorFromStatus(failure(status.UNAVAILABLE), 'IdentityService.GetAccount');
    expect(error).toMatchObject({
      kind: 'UNAVAILABLE',
      code: 'UNAVAILABLE',
      message: 'IdentityService.GetAccount is unavailable',
    });
    expect(error.message).not.toContain('10.1.2.3');
  });

  it('ignores a trailer that is not an ErrorDetail', () => {
    const metadata = new Metadata();
    metadata.set(ERROR_DETAIL_KEY, Buffer.from([0xff, 0xff, 0xff]));
    expect(errorDetailFrom(metadata)).toBeUndefined();
    expect(domainErrorFromStatus(failure(status.INTERNAL, metadata), 'X.Y')).toMatchObject({
      code: 'INTERNAL',
    });
  });
});
