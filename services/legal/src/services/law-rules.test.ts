import { type DomainError, Violations } from '@girok/kit/errors';
import { describe, expect, it } from 'vitest';
import { SEEDED_LAWS } from '../migrations/0001-legal.ts';
import { applicableRules, checkLaw, type LawValues } from './law-rules.ts';

const pipa: LawValues = {
  code: 'PIPA',
  name: 'Personal Information Protection Act',
  countries: ['KR'],
  minimumAge: 14,
  parentalConsentAge: 14,
  requiredConsents: ['terms', 'privacy'],
  dsrDeadlineDays: 10,
  explicitConsent: true,
  crossBorderRule: 'CONSENT_REQUIRED',
  notes: '',
};

function fields(law: LawValues): string[] {
  const v = new Violations();
  checkLaw(v, law);
  try {
    v.throwIfAny();
    return [];
  } catch (error) {
    return (error as DomainError).fieldViolations.map((f) => f.field);
  }
}

const seeded = (): LawValues[] =>
  SEEDED_LAWS.map((law) => ({
    code: law.code,
    name: law.name,
    countries: law.countries,
    minimumAge: law.minimum_age,
    parentalConsentAge: law.parental_consent_age,
    requiredConsents: law.required_consents,
    dsrDeadlineDays: law.dsr_deadline_days,
    explicitConsent: law.explicit_consent,
    crossBorderRule: law.cross_border_rule,
    notes: law.notes,
  }));

describe('law validation', () => {
  it('accepts every seeded law', () => {
    for (const law of seeded()) expect(fields(law), law.code).toEqual([]);
  });

  it('names every bad field at once', () => {
    expect(
      fields({
        ...pipa,
        name: ' ',
        countries: ['KR', 'kr', 'KR'],
        minimumAge: -1,
        parentalConsentAge: 30,
        requiredConsents: ['Terms'],
        dsrDeadlineDays: 0,
        notes: 'x'.repeat(2001),
      }),
    ).toEqual([
      'name',
      'countries',
      'countries',
      'minimum_age',
      'parental_consent_age',
      'required_consents[0]',
      'dsr_deadline_days',
      'notes',
    ]);
  });

  it('a parental-consent age below the minimum age is meaningless', () => {
    expect(fields({ ...pipa, minimumAge: 16, parentalConsentAge: 13 })).toEqual(['parental_consent_age']);
    expect(fields({ ...pipa, minimumAge: 13, parentalConsentAge: 16 })).toEqual([]);
  });

  it('needs at least one country and at most a quarter year to answer a DSR', () => {
    expect(fields({ ...pipa, countries: [] })).toEqual(['countries']);
    expect(fields({ ...pipa, dsrDeadlineDays: 91 })).toEqual(['dsr_deadline_days']);
    expect(fields({ ...pipa, dsrDeadlineDays: 1.5 })).toEqual(['dsr_deadline_days']);
  });
});

describe('the rules applicable in a country', () => {
  it('merge every law of the country, strictest value first', () => {
    const extra: LawValues = {
      ...pipa,
      code: 'KR_YOUTH',
      minimumAge: 15,
      parentalConsentAge: 19,
      requiredConsents: ['age_check'],
    };
    expect(applicableRules([...seeded(), extra], 'KR')).toEqual({
      country: 'KR',
      laws: ['KR_YOUTH', 'PIPA'],
      minimumAge: 15,
      parentalConsentAge: 19,
      requiredConsents: ['age_check', 'privacy', 'terms'],
    });
  });

  it('GDPR covers the EU member states', () => {
    for (const country of ['DE', 'FR', 'IT', 'ES', 'NL', 'IE']) {
      expect(applicableRules(seeded(), country).laws, country).toEqual(['GDPR']);
    }
    expect(applicableRules(seeded(), 'DE').minimumAge).toBe(16);
  });

  it('no law: no age floor and no required consent', () => {
    expect(applicableRules(seeded(), 'BR')).toEqual({
      country: 'BR',
      laws: [],
      minimumAge: 0,
      parentalConsentAge: 0,
      requiredConsents: [],
    });
  });
});
