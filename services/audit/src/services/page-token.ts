import { createHash } from 'node:crypto';
import type { Violations } from '@girok/kit/errors';

/** Where the previous page ended, in the order pages are read (newest first, then id descending). */
export interface PageCursor {
  readonly occurredAtMs: number;
  readonly id: string;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** 0 (unset) is the default; above the maximum is clamped, as the other services do. */
export function pageSize(requested: number | undefined): number {
  const size = requested ?? 0;
  return size <= 0 ? DEFAULT_PAGE_SIZE : Math.min(size, MAX_PAGE_SIZE);
}

/** Binds a token to the query it came from: reusing it with other filters would skip or repeat rows. */
const fingerprint = (scope: string) => createHash('sha256').update(scope).digest('base64url').slice(0, 16);

/** An opaque keyset token: the last row's time and id, and which query it belongs to. */
export function encodePageToken(cursor: PageCursor, scope: string): string {
  const body = JSON.stringify({ v: 1, t: cursor.occurredAtMs, i: cursor.id, q: fingerprint(scope) });
  return Buffer.from(body).toString('base64url');
}

/**
 * The cursor of `token`, or undefined for the first page. A token that is not ours, or that came
 * from a query with other filters, is a violation of `page.page_token`.
 */
export function decodePageToken(token: string, scope: string, v: Violations): PageCursor | undefined {
  if (token === '') return undefined;
  const invalid = () => {
    v.add('page.page_token', 'is not a token from a previous page of this query');
    return undefined;
  };
  if (token.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(token)) return invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return invalid();
  }
  const { v: version, t, i, q } = (parsed ?? {}) as Record<string, unknown>;
  if (
    version !== 1 ||
    typeof t !== 'number' ||
    !Number.isSafeInteger(t) ||
    t < 0 ||
    typeof i !== 'string' ||
    i === '' ||
    i.length > 256 ||
    q !== fingerprint(scope)
  ) {
    return invalid();
  }
  return { occurredAtMs: t, id: i };
}
