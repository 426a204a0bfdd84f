import type { Violations } from '@girok/kit/errors';
import type { CrossBorderRuleValue } from '../schema/database.ts';
import { checkDocumentType, isCountry } from './document-rules.ts';

export const LAW_CODE = /^[A-Z][A-Z0-9_]{1,31}$/;
export const MAX_AGE = 21;
export const MAX_DSR_DEADLINE_DAYS = 90;

/** A law's rules as the registry holds them. */
export interface LawValues {
  readonly code: string;
  readonly name: string;
  readonly countries: readonly string[];
  readonly minimumAge: number;
  readonly parentalConsentAge: number;
  readonly requiredConsents: readonly string[];
  readonly dsrDeadlineDays: number;
  readonly explicitConsent: boolean;
  readonly crossBorderRule: CrossBorderRuleValue;
  readonly notes: string;
}

const isAge = (n: number) => Number.isInteger(n) && n >= 0 && n <= MAX_AGE;

/** Checks a whole law (after an update is merged in), naming every bad field. */
export function checkLaw(v: Violations, law: LawValues): void {
  v.check(law.name.trim() !== '' && law.name.length <= 200, 'name', 'must be 1-200 characters');
  v.check(law.countries.length > 0 && law.countries.length <= 300, 'countries', 'must list 1-300 countries');
  const badCountries = law.countries.filter((country) => !isCountry(country));
  v.check(
    badCountries.length === 0,
    'countries',
    `must be ISO 3166-1 alpha-2 codes in upper case (not ${badCountries.join(', ')})`,
  );
  v.check(new Set(law.countries).size === law.countries.length, 'countries', 'must not repeat a country');
  v.check(isAge(law.minimumAge), 'minimum_age', `must be an integer from 0 to ${MAX_AGE}`);
  v.check(isAge(law.parentalConsentAge), 'parental_consent_age', `must be an integer from 0 to ${MAX_AGE}`);
  if (isAge(law.minimumAge) && isAge(law.parentalConsentAge)) {
    v.check(
      law.parentalConsentAge >= law.minimumAge,
      'parental_consent_age',
      'must not be below minimum_age (nobody younger may hold an account)',
    );
  }
  for (const [index, type] of law.requiredConsents.entries()) {
    checkDocumentType(v, `required_consents[${index}]`, type);
  }
  v.check(
    new Set(law.requiredConsents).size === law.requiredConsents.length,
    'required_consents',
    'must not repeat a document type',
  );
  v.check(
    Number.isInteger(law.dsrDeadlineDays) &&
      law.dsrDeadlineDays >= 1 &&
      law.dsrDeadlineDays <= MAX_DSR_DEADLINE_DAYS,
    'dsr_deadline_days',
    `must be an integer from 1 to ${MAX_DSR_DEADLINE_DAYS}`,
  );
  v.check(law.notes.length <= 2000, 'notes', 'must be at most 2000 characters');
}

/** What the laws of one country demand together: the strictest value of each. */
export interface ApplicableRules {
  readonly country: string;
  readonly laws: string[];
  readonly minimumAge: number;
  readonly parentalConsentAge: number;
  readonly requiredConsents: string[];
}

export function applicableRules(laws: readonly LawValues[], country: string): ApplicableRules {
  const applicable = laws.filter((law) => law.countries.includes(country));
  return {
    country,
    laws: applicable.map((law) => law.code).sort(),
    minimumAge: Math.max(0, ...applicable.map((law) => law.minimumAge)),
    parentalConsentAge: Math.max(0, ...applicable.map((law) => law.parentalConsentAge)),
    requiredConsents: [...new Set(applicable.flatMap((law) => law.requiredConsents))].sort(),
  };
}
