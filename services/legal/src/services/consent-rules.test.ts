import { describe, expect, it } from 'vitest';
import { type AcceptedConsent, consentGap, requiredTypes, selectDocument } from './consent-rules.ts';

const accepted = (version: string, overrides: Partial<AcceptedConsent> = {}): AcceptedConsent => ({
  status: 'GRANTED',
  documentId: `doc-${version}`,
  version,
  country: 'KR',
  ...overrides,
});
const current = (version: string, country = 'KR') => ({ id: `doc-${version}`, version, country });

describe('the re-consent rule', () => {
  it('a major bump over the accepted version requires re-consent', () => {
    expect(consentGap(accepted('1.4.2'), current('2.0.0'))).toBe('MAJOR_VERSION_CHANGED');
    expect(consentGap(accepted('1.0.0'), current('3.1.0'))).toBe('MAJOR_VERSION_CHANGED');
  });

  it('minor and patch bumps do not', () => {
    expect(consentGap(accepted('1.0.0'), current('1.1.0'))).toBeUndefined();
    expect(consentGap(accepted('1.0.0'), current('1.0.7'))).toBeUndefined();
    expect(consentGap(accepted('2.3.0'), current('2.9.9'))).toBeUndefined();
  });

  it('the very document accepted needs nothing', () => {
    expect(consentGap(accepted('1.0.0'), current('1.0.0'))).toBeUndefined();
  });

  it('nothing accepted, or accepted for another country, is never accepted', () => {
    expect(consentGap(undefined, current('1.0.0'))).toBe('NEVER_ACCEPTED');
    expect(consentGap(accepted('1.0.0', { country: '*' }), current('1.0.0', 'DE'))).toBe('NEVER_ACCEPTED');
    expect(consentGap(accepted('1.0.0', { country: 'KR' }), current('1.0.0', 'DE'))).toBe('NEVER_ACCEPTED');
  });

  it('a withdrawn consent does not count', () => {
    expect(consentGap(accepted('1.0.0', { status: 'WITHDRAWN' }), current('1.0.0'))).toBe('WITHDRAWN');
  });
});

describe('choosing the document to show', () => {
  const doc = (country: string, locale: string) => ({
    type: 'terms',
    country,
    locale,
    id: `${country}/${locale}`,
  });
  const options = { country: 'DE', locale: 'de-AT', defaultLocale: 'en' };

  it("prefers the country's own documents over global ones", () => {
    expect(selectDocument([doc('*', 'de-AT'), doc('DE', 'en-US')], options)?.id).toBe('DE/en-US');
  });

  it('falls back to global documents when the country has none', () => {
    expect(selectDocument([doc('*', 'en-US'), doc('FR', 'de-AT')], options)?.id).toBe('*/en-US');
  });

  it('exact locale, then the same language, then the default locale, then the first by locale', () => {
    expect(selectDocument([doc('DE', 'de-DE'), doc('DE', 'de-AT')], options)?.id).toBe('DE/de-AT');
    expect(selectDocument([doc('DE', 'en-US'), doc('DE', 'de-DE')], options)?.id).toBe('DE/de-DE');
    expect(selectDocument([doc('DE', 'fr-FR'), doc('DE', 'en-GB')], options)?.id).toBe('DE/en-GB');
    expect(selectDocument([doc('DE', 'it-IT'), doc('DE', 'fr-FR')], options)?.id).toBe('DE/fr-FR');
    expect(selectDocument([doc('DE', 'ko-KR')], { ...options, locale: '' })?.id).toBe('DE/ko-KR');
  });

  it('nothing in force: nothing to show', () => {
    expect(selectDocument([], options)).toBeUndefined();
  });
});

describe('required document types', () => {
  it('are the laws’ types plus documents marked required, without duplicates', () => {
    expect(
      requiredTypes(
        ['terms', 'privacy'],
        [
          { type: 'terms', required: true },
          { type: 'age_check', required: true },
          { type: 'marketing', required: false },
        ],
      ),
    ).toEqual(['age_check', 'privacy', 'terms']);
  });
});
