import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { describeError } from './cluster.ts';

describe('describeError', () => {
  it('turns an API-server refusal into one sentence with its reason and message, without body or headers', () => {
    const body = JSON.stringify({
      kind: 'Status',
      status: 'Failure',
      reason: 'TooManyRequests',
      message: 'the server has received too many requests and has asked us to try again later',
      details: { retryAfterSeconds: 1 },
      code: 429,
    });
    const e = new ApiException(429, 'Unsuccessful HTTP Request', body, {
      'audit-id': 'a1b2',
      'retry-after': '1',
    });
    expect(e.message).toContain('Headers');
    expect(describeError(e)).toBe(
      'the API server answered 429 TooManyRequests: the server has received too many requests and has asked us to try again later',
    );
  });

  it('keeps only the status code when the body is not a Status', () => {
    expect(describeError(new ApiException(502, 'Bad Gateway', '<html>\n<h1>502</h1>\n</html>', {}))).toBe(
      'the API server answered 502',
    );
  });

  it('names the cause of a network failure on one line, without the stack', () => {
    const e = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:6443') });
    expect(describeError(e)).toBe('fetch failed (connect ECONNREFUSED 127.0.0.1:6443)');
    expect(describeError(new Error('first line\n    at stack (x.ts:1:1)'))).toBe('first line');
  });
});
