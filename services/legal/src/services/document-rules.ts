import { createHash } from 'node:crypto';
import type { Violations } from '@girok/kit/errors';
import semver from 'semver';

/** `terms`, `privacy`, `marketing`, ... (lower snake case; laws name required types the same way). */
export const DOCUMENT_TYPE = /^[a-z][a-z0-9_]{1,31}$/;
/** Documents that apply in every country use this instead of a country code. */
export const GLOBAL_COUNTRY = '*';
export const MAX_TITLE = 200;
export const MAX_CONTENT = 500_000;

const COUNTRY = /^[A-Z]{2}$/;
const regions = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });

export function checkDocumentType(v: Violations, field: string, type: string): void {
  v.check(DOCUMENT_TYPE.test(type), field, 'must be 2-32 of a-z 0-9 _ starting with a letter, such as terms');
}

/** An ISO 3166-1 alpha-2 code that names a real region (ICU knows it), upper case. */
export function isCountry(country: string): boolean {
  if (!COUNTRY.test(country)) return false;
  const name = regions.of(country);
  return name !== undefined && name !== country && name !== 'Unknown Region';
}

export function checkCountry(v: Violations, field: string, country: string, allowGlobal = false): void {
  const ok = isCountry(country) || (allowGlobal && country === GLOBAL_COUNTRY);
  v.check(
    ok,
    field,
    allowGlobal
      ? 'must be an ISO 3166-1 alpha-2 code in upper case, such as KR, or * for every country'
      : 'must be an ISO 3166-1 alpha-2 code in upper case, such as KR',
  );
}

/**
 * A document version: exactly MAJOR.MINOR.PATCH (no `v`, no pre-release, no build), so that
 * "a major bump requires re-consent" has one meaning.
 */
export function checkVersion(v: Violations, field: string, version: string): void {
  const parsed = semver.parse(version);
  v.check(
    parsed !== null &&
      parsed.version === version &&
      parsed.prerelease.length === 0 &&
      parsed.build.length === 0,
    field,
    'must be a semantic version MAJOR.MINOR.PATCH, such as 2.1.0',
  );
}

/** The canonical BCP 47 form of `locale` (en-us → en-US), or undefined with a violation. */
export function canonicalLocale(v: Violations, field: string, locale: string): string | undefined {
  let canonical: string | undefined;
  try {
    canonical = locale.length <= 35 ? Intl.getCanonicalLocales(locale)[0] : undefined;
  } catch {
    canonical = undefined;
  }
  if (canonical === undefined) v.add(field, 'must be a BCP 47 language tag, such as en-US or ko-KR');
  return canonical;
}

/** What a consent proves was shown: SHA-256 of the UTF-8 text, lower-case hex. */
export function contentHash(content: string): string {
  return createHash('sha256').update(content, 'utf8').digest('hex');
}

/** Whether `next` may replace `current` in force: versions only move forward. */
export function isNewerVersion(next: string, current: string): boolean {
  return semver.gt(next, current);
}
