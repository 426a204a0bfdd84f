import { Violations } from '@girok/kit/errors';
import { describe, expect, it } from 'vitest';
import { checkUsername, normaliseIdentifier, usernameSkeleton } from './validation.ts';

describe('identifier normalisation', () => {
  it('folds full-width, decomposed, invisible and upper-case forms into one', () => {
    for (const variant of [
      'ｊｏｓé@ｅｘａｍｐｌｅ.ｃｏｍ',
      'jose\u0301@example.com',
      'jo\u200bsé@exam\u2060ple.com',
      ' JOSÉ@EXAMPLE.COM ',
      'jos\u00ade\u0301@example.com',
    ]) {
      expect(normaliseIdentifier(variant), JSON.stringify(variant)).toBe('josé@example.com');
    }
  });

  it('gives look-alike usernames one skeleton and different ones different skeletons', () => {
    expect(usernameSkeleton('paypa1')).toBe(usernameSkeleton('paypal'));
    expect(usernameSkeleton('g0ogle')).toBe(usernameSkeleton('google'));
    expect(usernameSkeleton('rnallory')).toBe(usernameSkeleton('mallory'));
    expect(usernameSkeleton('alice')).not.toBe(usernameSkeleton('alicia'));
  });

  it('names a Latin/Cyrillic/Greek mix in a username, but not Latin with digits', () => {
    const mixed = new Violations();
    checkUsername(mixed, 'username', 'p\u0430ypal');
    expect(() => mixed.throwIfAny()).toThrow(/./);
    const plain = new Violations();
    checkUsername(plain, 'username', 'paypal_2024');
    expect(() => plain.throwIfAny()).not.toThrow();
  });
});
