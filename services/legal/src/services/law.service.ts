import type { MessageInitShape } from '@bufbuild/protobuf';
import {
  CrossBorderRule,
  type GetLawRequest,
  type GetLawResponseSchema,
  type ListLawsRequest,
  type ListLawsResponseSchema,
  type UpdateLawRequest,
  type UpdateLawResponseSchema,
} from '@girok/contracts/legal/v1/legal';
import { DomainError, Violations } from '@girok/kit/errors';
import { appendEvents } from '@girok/kit/outbox';
import { accountOf, type Caller } from '@girok/kit/rpc';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely, Updateable } from 'kysely';
import { crossBorderRuleFromProto, lawValues, toLaw } from '../dtos/legal.dto.ts';
import { LawRepository, type LawRow } from '../repositories/law.repository.ts';
import type { LawsTable, LegalDatabase } from '../schema/database.ts';
import { CLOCK, type Clock, DATABASE } from '../tokens.ts';
import { checkCountry } from './document-rules.ts';
import { checkLaw, LAW_CODE, type LawValues } from './law-rules.ts';
import { auditEvent } from './legal-events.ts';

const lawNotFound = (code: string) =>
  new DomainError('NOT_FOUND', 'LAW_NOT_FOUND', `No law ${code} in the registry`);

function checkCode(code: string): void {
  new Violations()
    .check(LAW_CODE.test(code), 'code', 'must be an upper-case law code, such as GDPR')
    .throwIfAny();
}

/** Same members, order aside. */
const same = (a: readonly string[], b: readonly string[]) => {
  const [x, y] = [[...a].sort(), [...b].sort()];
  return x.length === y.length && x.every((value, i) => value === y[i]);
};

/** The law registry: readable by every caller, changed only with law:manage, validated as a whole. */
@Injectable()
export class LawService {
  readonly #db: Kysely<LegalDatabase>;
  readonly #laws: LawRepository;
  readonly #clock: Clock;

  constructor(
    @Inject(DATABASE) db: Kysely<LegalDatabase>,
    @Inject(LawRepository) laws: LawRepository,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.#db = db;
    this.#laws = laws;
    this.#clock = clock;
  }

  async list(request: ListLawsRequest): Promise<MessageInitShape<typeof ListLawsResponseSchema>> {
    if (request.country !== '') {
      const v = new Violations();
      checkCountry(v, 'country', request.country);
      v.throwIfAny();
    }
    const rows = await this.#laws.list(request.country === '' ? undefined : request.country);
    return { laws: rows.map(toLaw) };
  }

  async get(request: GetLawRequest): Promise<MessageInitShape<typeof GetLawResponseSchema>> {
    checkCode(request.code);
    const law = await this.#laws.findByCode(request.code);
    if (law === undefined) throw lawNotFound(request.code);
    return { law: toLaw(law) };
  }

  async update(
    caller: Caller,
    request: UpdateLawRequest,
  ): Promise<MessageInitShape<typeof UpdateLawResponseSchema>> {
    checkCode(request.code);
    const rule = crossBorderRuleFromProto(request.crossBorderRule);
    const shape = new Violations()
      .check(
        request.crossBorderRule === CrossBorderRule.UNSPECIFIED || rule !== undefined,
        'cross_border_rule',
        'is not a cross-border rule',
      )
      .check(
        request.updateCountries || request.countries.length === 0,
        'countries',
        'set update_countries to replace the country list',
      )
      .check(
        request.updateRequiredConsents || request.requiredConsents.length === 0,
        'required_consents',
        'set update_required_consents to replace the required document types',
      );
    shape.throwIfAny();
    return this.#db.transaction().execute(async (tx) => {
      const current = await this.#laws.findByCodeForUpdate(request.code, tx);
      if (current === undefined) throw lawNotFound(request.code);
      const before = lawValues(current);
      const after: LawValues = {
        code: before.code,
        name: request.name ?? before.name,
        countries: request.updateCountries ? [...request.countries].sort() : before.countries,
        minimumAge: request.minimumAge ?? before.minimumAge,
        parentalConsentAge: request.parentalConsentAge ?? before.parentalConsentAge,
        requiredConsents: request.updateRequiredConsents
          ? [...request.requiredConsents].sort()
          : before.requiredConsents,
        dsrDeadlineDays: request.dsrDeadlineDays ?? before.dsrDeadlineDays,
        explicitConsent: request.explicitConsent ?? before.explicitConsent,
        crossBorderRule: rule ?? before.crossBorderRule,
        notes: request.notes ?? before.notes,
      };
      const v = new Violations();
      checkLaw(v, after);
      v.throwIfAny();
      const changes = changed(current, after);
      if (Object.keys(changes).length === 0) return { law: toLaw(current) };
      const now = this.#clock.now();
      const updated = await this.#laws.update(
        current.code,
        { ...changes, updated_at: now, updated_by: accountOf(caller) ?? null },
        tx,
      );
      await appendEvents(tx, [
        auditEvent({
          action: 'law.update',
          actorId: accountOf(caller) ?? '',
          targetType: 'law',
          targetId: current.code,
          result: 'SUCCESS',
          now,
          metadata: { changed: Object.keys(changes).join(',') },
        }),
      ]);
      return { law: toLaw(updated) };
    });
  }
}

/** The columns whose value differs: an unchanged update writes nothing and audits nothing. */
function changed(row: LawRow, law: LawValues): Updateable<LawsTable> {
  const changes: Updateable<LawsTable> = {};
  if (law.name !== row.name) changes.name = law.name;
  if (!same(law.countries, row.countries)) changes.countries = [...law.countries];
  if (law.minimumAge !== row.minimum_age) changes.minimum_age = law.minimumAge;
  if (law.parentalConsentAge !== row.parental_consent_age)
    changes.parental_consent_age = law.parentalConsentAge;
  if (!same(law.requiredConsents, row.required_consents)) {
    changes.required_consents = [...law.requiredConsents];
  }
  if (law.dsrDeadlineDays !== row.dsr_deadline_days) changes.dsr_deadline_days = law.dsrDeadlineDays;
  if (law.explicitConsent !== row.explicit_consent) changes.explicit_consent = law.explicitConsent;
  if (law.crossBorderRule !== row.cross_border_rule) changes.cross_border_rule = law.crossBorderRule;
  if (law.notes !== row.notes) changes.notes = law.notes;
  return changes;
}
