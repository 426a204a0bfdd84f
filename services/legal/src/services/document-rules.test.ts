import { Violations } from '@girok/kit/errors';
import { describe, expect, it } from 'vitest';
import {
  canonicalLocale,
  checkCountry,
  checkDocumentType,
  checkVersion,
  contentHash,
  isCountry,
  isNewerVersion,
} from './document-rules.ts';

function violations(fill: (v: Violations) => void): string[] {
  const v = new Violations();
  fill(v);
  try {
    v.throwIfAny();
    return [];
  } catch (error) {
    return (error as { fieldViolations: { field: string }[] }).fieldViolations.map((f) => f.field);
  }
}

describe('document rules', () => {
  it('accepts only plain MAJOR.MINOR.PATCH versions', () => {
    for (const good of ['1.0.0', '2.10.3', '0.0.1']) {
      expect(
        violations((v) => checkVersion(v, 'version', good)),
        good,
      ).toEqual([]);
    }
    for (const bad of ['1.0', 'v1.0.0', '1.0.0-rc.1', '1.0.0+build', '01.0.0', '', 'one']) {
      expect(
        violations((v) => checkVersion(v, 'version', bad)),
        bad,
      ).toEqual(['version']);
    }
  });

  it('orders versions semantically, not as text', () => {
    expect(isNewerVersion('1.10.0', '1.9.0')).toBe(true);
    expect(isNewerVersion('2.0.0', '10.0.0')).toBe(false);
    expect(isNewerVersion('1.0.0', '1.0.0')).toBe(false);
  });

  it('canonicalises BCP 47 locales and refuses what is not one', () => {
    const v = new Violations();
    expect(canonicalLocale(v, 'locale', 'en-us')).toBe('en-US');
    expect(canonicalLocale(v, 'locale', 'ko-KR')).toBe('ko-KR');
    expect(canonicalLocale(v, 'locale', 'zh-hant-tw')).toBe('zh-Hant-TW');
    expect(violations((x) => canonicalLocale(x, 'locale', 'en_US'))).toEqual(['locale']);
    expect(violations((x) => canonicalLocale(x, 'locale', ''))).toEqual(['locale']);
    expect(violations((x) => canonicalLocale(x, 'locale', 'x'.repeat(40)))).toEqual(['locale']);
  });

  it('knows real ISO 3166-1 alpha-2 countries; * only where global documents are allowed', () => {
    for (const country of ['KR', 'DE', 'US', 'JP', 'FR']) expect(isCountry(country), country).toBe(true);
    for (const country of ['kr', 'KOR', 'QQ', 'ZZ', '*', '']) expect(isCountry(country), country).toBe(false);
    expect(violations((v) => checkCountry(v, 'country', '*', true))).toEqual([]);
    expect(violations((v) => checkCountry(v, 'country', '*'))).toEqual(['country']);
  });

  it('document types are lower snake case', () => {
    expect(violations((v) => checkDocumentType(v, 'type', 'terms'))).toEqual([]);
    expect(violations((v) => checkDocumentType(v, 'type', 'age_verification'))).toEqual([]);
    for (const bad of ['Terms', 't', '1terms', 'terms-of-use', '']) {
      expect(
        violations((v) => checkDocumentType(v, 'type', bad)),
        bad,
      ).toEqual(['type']);
    }
  });

  it('hashes the UTF-8 content with SHA-256', () => {
    expect(contentHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(contentHash('약관')).not.toBe(contentHash('약괸'));
  });
});
