import { createHash } from 'node:crypto';
import { CrossBorderRule, DocumentStatus, LegalService } from '@girok/contracts/legal/v1/legal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  type Caller,
  failure,
  fieldsOf,
  rowCounts,
  startTestPlatform,
  type TestPlatform,
} from './support.ts';

interface Problem {
  code: string;
  status: number;
  correlationId: string;
  errors?: { field: string; description: string }[];
}

const draft = (overrides: Record<string, unknown> = {}) => ({
  type: 'terms',
  version: '1.0.0',
  locale: 'en-US',
  country: 'KR',
  title: 'Terms of service',
  content: 'You agree to be nice.',
  required: true,
  ...overrides,
});

describe('legal documents (authentication, lifecycle, one active per key) and the law registry', () => {
  let platform: TestPlatform;
  let manager: Caller;
  let lawyer: Caller;
  let user: Caller;
  beforeAll(async () => {
    // No relay: outbox rows stay put, so "nothing written" includes "no event queued".
    platform = await startTestPlatform({}, { relay: false });
    [manager, lawyer, user] = await Promise.all([
      platform.admin(['legal_document:manage']),
      platform.admin(['law:manage']),
      platform.user(),
    ]);
  });
  afterAll(async () => {
    await platform?.close();
  });

  it('every RPC but RequiredConsents needs a token: UNAUTHENTICATED over gRPC, 401 over REST', async () => {
    const noToken = await failure(platform.legal.listDocuments({}));
    expect(noToken).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'TOKEN_MISSING' });
    const forged = await failure(platform.legal.listLaws({}, bearer('not.a.token')));
    expect(forged.kind).toBe('UNAUTHENTICATED');

    for (const [method, path] of [
      ['GET', '/v1/documents'],
      ['POST', '/v1/documents'],
      ['GET', '/v1/laws'],
      ['GET', `/v1/accounts/${user.accountId}/consents`],
      ['GET', '/v1/dsrs'],
    ] as const) {
      const response = await platform.rest(method, path, method === 'POST' ? { body: draft() } : {});
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(((await response.json()) as Problem).code).toBe('TOKEN_MISSING');
    }
    // The public one: sign-up asks it before any token exists.
    expect((await platform.rest('GET', '/v1/required-consents?country=KR')).status).toBe(200);
    await expect(platform.legal.requiredConsents({ country: 'KR' })).resolves.toBeDefined();
  });

  it('a user cannot manage documents (PERMISSION_DENIED), and writes nothing trying', async () => {
    const before = await rowCounts(platform.db);
    expect((await failure(platform.legal.createDocument(draft(), user.as))).kind).toBe('PERMISSION_DENIED');
    const response = await platform.rest('POST', '/v1/documents', { body: draft(), token: user.token });
    expect(response.status).toBe(403);
    // A document manager is no law manager either.
    const law = await failure(platform.legal.updateLaw({ code: 'PIPA', minimumAge: 15 }, manager.as));
    expect(law.kind).toBe('PERMISSION_DENIED');
    expect(await rowCounts(platform.db)).toEqual(before);
  });

  it('invalid drafts are INVALID_ARGUMENT naming every bad field, over gRPC and REST, and write nothing', async () => {
    const before = await rowCounts(platform.db);
    const error = await failure(
      platform.legal.createDocument(
        { type: 'Terms Of Use', version: 'v1', locale: 'en_US', country: 'Korea', title: '', content: ' ' },
        manager.as,
      ),
    );
    expect(error.kind).toBe('INVALID_ARGUMENT');
    expect(fieldsOf(error).sort()).toEqual(['content', 'country', 'locale', 'title', 'type', 'version']);

    const response = await platform.rest('POST', '/v1/documents', {
      body: draft({ version: '2.0.0-beta.1', country: 'QQ' }),
      token: manager.token,
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await response.json()) as Problem;
    expect(problem.code).toBe('INVALID_ARGUMENT');
    expect(problem.errors?.map((e) => e.field).sort()).toEqual(['country', 'version']);
    expect(problem.correlationId).not.toBe('');
    // A JSON type error names the field too.
    const typed = await platform.rest('POST', '/v1/documents', {
      body: { ...draft(), required: 'yes' },
      token: manager.token,
    });
    expect(typed.status).toBe(400);
    expect(((await typed.json()) as Problem).errors?.[0]?.field).toBe('required');
    expect(await rowCounts(platform.db)).toEqual(before);
  });

  it('publishing puts a draft in force and archives the previous version in the same step', async () => {
    const v1 = (await platform.legal.createDocument(draft({ type: 'privacy' }), manager.as)).document;
    expect(v1).toMatchObject({ status: DocumentStatus.DRAFT, createdBy: manager.accountId });
    // The hash is the service's: SHA-256 of the UTF-8 content.
    expect(v1?.contentHash).toBe(createHash('sha256').update('You agree to be nice.').digest('hex'));
    const first = await platform.legal.publishDocument({ documentId: v1?.id ?? '' }, manager.as);
    expect(first.document?.status).toBe(DocumentStatus.ACTIVE);
    expect(first.archived).toBeUndefined();

    const v2 = (await platform.legal.createDocument(draft({ type: 'privacy', version: '1.1.0' }), manager.as))
      .document;
    const second = await platform.legal.publishDocument({ documentId: v2?.id ?? '' }, manager.as);
    expect(second.document).toMatchObject({ id: v2?.id, status: DocumentStatus.ACTIVE });
    expect(second.archived).toMatchObject({ id: v1?.id, status: DocumentStatus.ARCHIVED });
    const rows = await platform.db
      .selectFrom('documents')
      .select(['version', 'status'])
      .where('type', '=', 'privacy')
      .orderBy('version')
      .execute();
    expect(rows).toEqual([
      { version: '1.0.0', status: 'ARCHIVED' },
      { version: '1.1.0', status: 'ACTIVE' },
    ]);
  });

  it('exactly one ACTIVE per type, country and locale, even when two drafts are published at once', async () => {
    const [a, b] = await Promise.all(
      ['3.0.0', '3.1.0'].map(
        async (version) =>
          (
            await platform.legal.createDocument(
              draft({ type: 'cookies', version, required: false }),
              manager.as,
            )
          ).document,
      ),
    );
    const results = await Promise.allSettled(
      [a, b].map((d) => platform.legal.publishDocument({ documentId: d?.id ?? '' }, manager.as)),
    );
    // Serialised per key: 3.1.0 wins either way (published second, or first and 3.0.0 is refused as older).
    const active = await platform.db
      .selectFrom('documents')
      .select(['version'])
      .where('type', '=', 'cookies')
      .where('status', '=', 'ACTIVE')
      .execute();
    expect(active).toEqual([{ version: '3.1.0' }]);
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);

    // An older version cannot replace the one in force; a published document cannot be published again.
    const old = (
      await platform.legal.createDocument(
        draft({ type: 'cookies', version: '2.9.0', required: false }),
        manager.as,
      )
    ).document;
    expect(
      await failure(platform.legal.publishDocument({ documentId: old?.id ?? '' }, manager.as)),
    ).toMatchObject({
      kind: 'FAILED_PRECONDITION',
      code: 'VERSION_NOT_NEWER',
    });
    expect(
      (await failure(platform.legal.publishDocument({ documentId: b?.id ?? '' }, manager.as))).code,
    ).toBe('DOCUMENT_NOT_DRAFT');
    // The same version twice for one key is a conflict naming the field.
    const twice = await failure(
      platform.legal.createDocument(
        draft({ type: 'cookies', version: '3.0.0', required: false }),
        manager.as,
      ),
    );
    expect(twice).toMatchObject({ kind: 'CONFLICT', code: 'DOCUMENT_VERSION_EXISTS' });
    expect(fieldsOf(twice)).toEqual(['version']);
    // Other locales and countries have their own document in force.
    const german = (
      await platform.legal.createDocument(
        draft({ type: 'cookies', version: '1.0.0', locale: 'de-de', country: 'DE', required: false }),
        manager.as,
      )
    ).document;
    expect(german?.locale).toBe('de-DE');
    await platform.legal.publishDocument({ documentId: german?.id ?? '' }, manager.as);
    const cookies = await platform.legal.listDocuments(
      { type: 'cookies', status: DocumentStatus.ACTIVE },
      user.as,
    );
    expect(cookies.documents.map((d) => `${d.country} ${d.locale} ${d.version}`).sort()).toEqual([
      'DE de-DE 1.0.0',
      'KR en-US 3.1.0',
    ]);
  });

  it('drafts are invisible to users; archiving takes a document out of force', async () => {
    const hidden = (
      await platform.legal.createDocument(draft({ type: 'beta_terms', required: false }), manager.as)
    ).document;
    expect((await failure(platform.legal.getDocument({ documentId: hidden?.id ?? '' }, user.as))).code).toBe(
      'DOCUMENT_NOT_FOUND',
    );
    expect(
      (await platform.legal.getDocument({ documentId: hidden?.id ?? '' }, manager.as)).document?.id,
    ).toBe(hidden?.id);
    const listed = await platform.legal.listDocuments({ type: 'beta_terms' }, user.as);
    expect(listed.documents).toEqual([]);
    expect(
      (await failure(platform.legal.listDocuments({ status: DocumentStatus.DRAFT }, user.as))).kind,
    ).toBe('PERMISSION_DENIED');

    await platform.legal.publishDocument({ documentId: hidden?.id ?? '' }, manager.as);
    const archived = await platform.legal.archiveDocument({ documentId: hidden?.id ?? '' }, manager.as);
    expect(archived.document?.status).toBe(DocumentStatus.ARCHIVED);
    const visible = await platform.legal.getDocument({ documentId: hidden?.id ?? '' }, user.as);
    expect(visible.document?.status).toBe(DocumentStatus.ARCHIVED);
  });

  it('RequiredConsents: the laws’ types for the country, one document each by country and locale fallback', async () => {
    const terms = (await platform.legal.createDocument(draft({ country: '*', version: '1.0.0' }), manager.as))
      .document;
    const koTerms = (
      await platform.legal.createDocument(
        draft({ country: '*', locale: 'ko-KR', content: '약관' }),
        manager.as,
      )
    ).document;
    for (const d of [terms, koTerms])
      await platform.legal.publishDocument({ documentId: d?.id ?? '' }, manager.as);

    const korean = await platform.legal.requiredConsents({ country: 'KR', locale: 'ko-KR' });
    // privacy (1.1.0, KR, en-US) from the lifecycle test above; terms from the global ones.
    expect(korean.documents.map((d) => `${d.type} ${d.country} ${d.locale}`)).toEqual([
      'privacy KR en-US',
      'terms * ko-KR',
    ]);
    expect(korean.rules).toMatchObject({
      country: 'KR',
      laws: ['PIPA'],
      minimumAge: 14,
      parentalConsentAge: 14,
      missingDocumentTypes: [],
    });
    // A locale with no document falls back to the default (en).
    const french = (await (
      await platform.rest('GET', '/v1/required-consents?country=FR&locale=fr-FR')
    ).json()) as {
      documents: { type: string; locale: string }[];
      rules: { laws: string[]; minimumAge: number; missingDocumentTypes: string[] };
    };
    expect(french.documents.map((d) => `${d.type} ${d.locale}`)).toEqual(['terms en-US']);
    // GDPR requires privacy too, and no privacy document applies in FR.
    expect(french.rules).toMatchObject({ laws: ['GDPR'], minimumAge: 16, missingDocumentTypes: ['privacy'] });
    expect(fieldsOf(await failure(platform.legal.requiredConsents({ country: 'XX1' })))).toEqual(['country']);
  });

  it('serves an OpenAPI document with a REST route for every LegalService RPC', async () => {
    const doc = (await (await platform.rest('GET', '/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.values(doc.paths).flatMap((p) => Object.values(p).map((op) => op.operationId));
    expect(operations.sort()).toEqual(LegalService.methods.map((m) => m.localName).sort());
    expect(doc.paths['/v1/documents/{document_id}/publish']?.post?.operationId).toBe('publishDocument');
    expect(doc.paths['/v1/accounts/{account_id}/consents/{document_type}/withdraw']?.post?.operationId).toBe(
      'withdrawConsent',
    );
    expect(doc.paths['/v1/laws/{code}']?.patch?.operationId).toBe('updateLaw');
    expect(doc.paths['/v1/dsrs/{dsr_id}/export']?.get?.operationId).toBe('getDsrExport');
  });

  // The registry's tests change PIPA: they run after the documents' (which read KR's rules).
  it('starts with GDPR, PIPA, CCPA and APPI and their documented values, readable by any caller', async () => {
    const { laws } = await platform.legal.listLaws({}, user.as);
    expect(laws.map((law) => law.code)).toEqual(['APPI', 'CCPA', 'GDPR', 'PIPA']);
    const byCode = Object.fromEntries(laws.map((law) => [law.code, law]));
    expect(byCode.GDPR).toMatchObject({
      minimumAge: 16,
      parentalConsentAge: 16,
      requiredConsents: ['privacy', 'terms'],
      dsrDeadlineDays: 30,
      explicitConsent: true,
      crossBorderRule: CrossBorderRule.ADEQUACY_REQUIRED,
      updatedBy: '',
    });
    expect(byCode.GDPR?.countries).toEqual(expect.arrayContaining(['DE', 'FR', 'IT', 'ES', 'NL', 'AT']));
    expect(byCode.PIPA).toMatchObject({
      countries: ['KR'],
      minimumAge: 14,
      parentalConsentAge: 14,
      dsrDeadlineDays: 10,
      explicitConsent: true,
      crossBorderRule: CrossBorderRule.CONSENT_REQUIRED,
    });
    expect(byCode.CCPA).toMatchObject({
      countries: ['US'],
      minimumAge: 13,
      parentalConsentAge: 13,
      dsrDeadlineDays: 45,
      explicitConsent: false,
      crossBorderRule: CrossBorderRule.NONE,
    });
    expect(byCode.APPI).toMatchObject({ countries: ['JP'], minimumAge: 16, dsrDeadlineDays: 14 });
    expect(byCode.APPI?.notes).toContain('without delay');

    expect((await platform.legal.listLaws({ country: 'FR' }, user.as)).laws.map((l) => l.code)).toEqual([
      'GDPR',
    ]);
    expect((await platform.legal.listLaws({ country: 'BR' }, user.as)).laws).toEqual([]);
    const rest = await platform.rest('GET', '/v1/laws/PIPA', { token: user.token });
    expect(((await rest.json()) as { law: { dsrDeadlineDays: number } }).law.dsrDeadlineDays).toBe(10);
    expect((await failure(platform.legal.getLaw({ code: 'HIPAA' }, user.as))).code).toBe('LAW_NOT_FOUND');
  });

  it('a law manager edits a law: the change is validated as a whole, stored, audited and applied', async () => {
    expect((await failure(platform.legal.updateLaw({ code: 'PIPA', minimumAge: 15 }, user.as))).kind).toBe(
      'PERMISSION_DENIED',
    );
    const { law } = await platform.legal.updateLaw(
      {
        code: 'PIPA',
        minimumAge: 15,
        parentalConsentAge: 15,
        dsrDeadlineDays: 7,
        updateRequiredConsents: true,
        requiredConsents: ['terms', 'privacy', 'age_check'],
      },
      lawyer.as,
    );
    expect(law).toMatchObject({
      minimumAge: 15,
      parentalConsentAge: 15,
      dsrDeadlineDays: 7,
      requiredConsents: ['age_check', 'privacy', 'terms'],
      updatedBy: lawyer.accountId,
      // Untouched fields stay.
      countries: ['KR'],
      explicitConsent: true,
    });
    const audit = await platform.db
      .selectFrom('outbox_events')
      .select(['data'])
      .where('topic', '=', 'audit.event.v1')
      .execute();
    expect(audit.map((row) => row.data)).toContainEqual(
      expect.objectContaining({
        action: 'law.update',
        actorId: lawyer.accountId,
        targetId: 'PIPA',
        metadata: { changed: 'minimum_age,parental_consent_age,required_consents,dsr_deadline_days' },
      }),
    );
    // The registry is what the service reads: sign-up in KR now asks for the new type and age.
    const required = await platform.legal.requiredConsents({ country: 'KR' });
    expect(required.rules).toMatchObject({ minimumAge: 15, missingDocumentTypes: ['age_check'] });
    expect(required.documents.map((d) => d.type)).toEqual(['privacy', 'terms']);
    // The same values again change nothing and audit nothing.
    const before = await rowCounts(platform.db);
    await platform.legal.updateLaw({ code: 'PIPA', minimumAge: 15 }, lawyer.as);
    expect(await rowCounts(platform.db)).toEqual(before);
  });

  it('an invalid edit is INVALID_ARGUMENT naming every field and writes nothing', async () => {
    const before = await rowCounts(platform.db);
    const error = await failure(
      platform.legal.updateLaw(
        {
          code: 'GDPR',
          minimumAge: 16,
          parentalConsentAge: 13,
          dsrDeadlineDays: 0,
          updateCountries: true,
          countries: ['DE', 'Germany'],
          updateRequiredConsents: true,
          requiredConsents: ['Terms'],
        },
        lawyer.as,
      ),
    );
    expect(error.kind).toBe('INVALID_ARGUMENT');
    expect(fieldsOf(error).sort()).toEqual([
      'countries',
      'dsr_deadline_days',
      'parental_consent_age',
      'required_consents[0]',
    ]);
    const shape = await failure(platform.legal.updateLaw({ code: 'GDPR', countries: ['DE'] }, lawyer.as));
    expect(fieldsOf(shape)).toEqual(['countries']);
    expect(fieldsOf(await failure(platform.legal.updateLaw({ code: 'gdpr' }, lawyer.as)))).toEqual(['code']);
    const rest = await platform.rest('PATCH', '/v1/laws/CCPA', {
      body: { minimumAge: 99, crossBorderRule: 'CROSS_BORDER_RULE_NONE' },
      token: lawyer.token,
    });
    expect(rest.status).toBe(400);
    expect(((await rest.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual([
      'minimum_age',
    ]);
    expect(await rowCounts(platform.db)).toEqual(before);
  });
});
