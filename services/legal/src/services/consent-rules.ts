import semver from 'semver';
import type { ConsentStatusValue } from '../schema/database.ts';
import { GLOBAL_COUNTRY } from './document-rules.ts';

export type ConsentGapReasonValue = 'NEVER_ACCEPTED' | 'MAJOR_VERSION_CHANGED' | 'WITHDRAWN';

/** What the account accepted last for a document type. */
export interface AcceptedConsent {
  readonly status: ConsentStatusValue;
  readonly documentId: string;
  readonly version: string;
  readonly country: string;
}

/** The document in force the account is asked about. */
export interface CurrentDocument {
  readonly id: string;
  readonly version: string;
  readonly country: string;
}

/**
 * Why the account must accept `current`, or undefined when its consent still covers it.
 *
 * A consent covers later versions of the same text with the same major number: minor and patch
 * releases (wording, typos, clarifications) do not need a new consent; a major one does. A consent
 * given for another country's document (or the global one, now that the country has its own) does
 * not cover this one: it is a different text. Locales are translations of one text, so accepting
 * en-US covers ko-KR of the same version line.
 */
export function consentGap(
  accepted: AcceptedConsent | undefined,
  current: CurrentDocument,
): ConsentGapReasonValue | undefined {
  if (accepted === undefined || accepted.country !== current.country) return 'NEVER_ACCEPTED';
  if (accepted.status === 'WITHDRAWN') return 'WITHDRAWN';
  if (accepted.documentId === current.id) return undefined;
  return semver.major(current.version) > semver.major(accepted.version) ? 'MAJOR_VERSION_CHANGED' : undefined;
}

export interface CandidateDocument {
  readonly type: string;
  readonly country: string;
  readonly locale: string;
}

const language = (locale: string) => locale.split('-')[0]?.toLowerCase() ?? '';

/**
 * The one document of a type to show in `country` for `locale`: the country's own documents before
 * the global ones; among them the exact locale, else the same language, else the default locale (or
 * its language), else the first by locale so the answer is stable.
 */
export function selectDocument<D extends CandidateDocument>(
  candidates: readonly D[],
  options: { country: string; locale: string; defaultLocale: string },
): D | undefined {
  const own = candidates.filter((d) => d.country === options.country);
  const pool = own.length > 0 ? own : candidates.filter((d) => d.country === GLOBAL_COUNTRY);
  if (pool.length === 0) return undefined;
  const sorted = [...pool].sort((a, b) => a.locale.localeCompare(b.locale));
  const byLocale = (locale: string) =>
    sorted.find((d) => d.locale.toLowerCase() === locale.toLowerCase()) ??
    sorted.find((d) => language(d.locale) === language(locale));
  return (
    (options.locale === '' ? undefined : byLocale(options.locale)) ??
    byLocale(options.defaultLocale) ??
    sorted[0]
  );
}

/**
 * The document types an account in a country must have accepted: those the applicable laws
 * require, and those whose document in force there is marked required. Sorted.
 */
export function requiredTypes(
  lawTypes: readonly string[],
  documents: readonly { type: string; required: boolean }[],
): string[] {
  const types = new Set(lawTypes);
  for (const document of documents) if (document.required) types.add(document.type);
  return [...types].sort();
}
