import { Violations } from '@girok/kit/errors';
import { isUuid } from '@girok/kit/ids';

/** Field rules shared by the legal RPCs. Each adds a violation naming the field. */

export function checkId(v: Violations, field: string, id: string): void {
  v.check(isUuid(id), field, 'must be a UUID');
}

/** Throws INVALID_ARGUMENT naming every bad id field, for RPCs that take only ids. */
export function requireIds(ids: Record<string, string>): void {
  const v = new Violations();
  for (const [field, id] of Object.entries(ids)) checkId(v, field, id);
  v.throwIfAny();
}

export function pageSize(requested: number | undefined): number {
  const size = requested ?? 0;
  return size <= 0 ? 20 : Math.min(size, 100);
}

/** Keyset pagination: the token is the last id of the page, opaque to callers. */
export function pageToken(lastId: string | undefined): string {
  return lastId === undefined ? '' : Buffer.from(lastId).toString('base64url');
}

/** The id a page token stands for; a token that is not one of ours is a violation. */
export function afterIdFrom(v: Violations, token: string): string | undefined {
  if (token === '') return undefined;
  const id = Buffer.from(token, 'base64url').toString();
  if (!isUuid(id)) {
    v.add('page.page_token', 'is not a token from a previous page');
    return undefined;
  }
  return id;
}

/** A page of `limit` rows out of `limit + 1` fetched, and the token of the next one. */
export function pageOf<T extends { id: string }>(rows: T[], limit: number): { page: T[]; next: string } {
  const page = rows.slice(0, limit);
  return { page, next: rows.length > limit ? pageToken(page.at(-1)?.id) : '' };
}
