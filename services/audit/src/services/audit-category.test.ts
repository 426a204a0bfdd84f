import { describe, expect, it } from 'vitest';
import { categoryOf } from './audit-category.ts';

describe('audit categories', () => {
  it('puts logins, sessions, MFA, devices and tokens under access', () => {
    for (const action of [
      'account.login',
      'account.login.mfa',
      'account.lock',
      'session.revoke',
      'mfa.enroll',
      'device.revoke',
      'token.issue',
      'account.password.change',
    ]) {
      expect(categoryOf('identity-service', action)).toBe('access');
    }
  });

  it('puts role, sanction, operator and key changes under admin, whoever emits them', () => {
    for (const action of [
      'role.assign',
      'role.revoke',
      'sanction.create',
      'operator_assignment.grant',
      'signing_key.rotate',
      'legal_document.publish',
    ]) {
      expect(categoryOf('auth-service', action)).toBe('admin');
    }
  });

  it('puts consents and DSRs, and legal-service actions, under consent', () => {
    expect(categoryOf('legal-service', 'consent.grant')).toBe('consent');
    expect(categoryOf('legal-service', 'dsr.file')).toBe('consent');
    expect(categoryOf('legal-service', 'something.else')).toBe('consent');
    expect(categoryOf('legal-service', 'legal_document.publish')).toBe('admin');
  });

  it('puts the rest under other', () => {
    expect(categoryOf('billing-service', 'invoice.create')).toBe('other');
    expect(categoryOf('identity-service', '')).toBe('other');
  });
});
