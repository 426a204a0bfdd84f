import { Inject, Injectable } from '@nestjs/common';
import type { LegalConfig } from '../config.ts';
import { lawValues } from '../dtos/legal.dto.ts';
import { DocumentRepository, type DocumentRow } from '../repositories/document.repository.ts';
import type { Executor } from '../repositories/executor.ts';
import { LawRepository } from '../repositories/law.repository.ts';
import { CONFIG } from '../tokens.ts';
import { requiredTypes, selectDocument } from './consent-rules.ts';
import { type ApplicableRules, applicableRules } from './law-rules.ts';

/** What an account in one country must have accepted, and the documents to show for it. */
export interface Requirements {
  readonly rules: ApplicableRules;
  /** Every required document type, sorted. */
  readonly types: string[];
  /** The document in force for each required type that has one. */
  readonly documents: DocumentRow[];
  /** Required types with no document in force for the country. */
  readonly missing: string[];
}

/**
 * The one answer to "what is required here": the laws of the country (the registry) plus the
 * documents in force marked required, each resolved to one document by country and locale.
 */
@Injectable()
export class RequirementsService {
  readonly #laws: LawRepository;
  readonly #documents: DocumentRepository;
  readonly #defaultLocale: string;

  constructor(
    @Inject(LawRepository) laws: LawRepository,
    @Inject(DocumentRepository) documents: DocumentRepository,
    @Inject(CONFIG) config: LegalConfig,
  ) {
    this.#laws = laws;
    this.#documents = documents;
    this.#defaultLocale = config.documents.defaultLocale;
  }

  async for(country: string, locale: string, tx?: Executor): Promise<Requirements> {
    const laws = country === '' ? [] : await this.#laws.list(country, tx);
    const active = await this.#documents.activeFor(country === '' ? '*' : country, tx);
    const rules = applicableRules(laws.map(lawValues), country);
    const byType = new Map<string, DocumentRow[]>();
    for (const document of active)
      byType.set(document.type, [...(byType.get(document.type) ?? []), document]);
    const options = { country, locale, defaultLocale: this.#defaultLocale };
    const shown = new Map<string, DocumentRow>();
    for (const [type, candidates] of byType) {
      const document = selectDocument(candidates, options);
      if (document !== undefined) shown.set(type, document);
    }
    const types = requiredTypes(rules.requiredConsents, [...shown.values()]);
    return {
      rules,
      types,
      documents: types.flatMap((type) => {
        const document = shown.get(type);
        return document === undefined ? [] : [document];
      }),
      missing: types.filter((type) => !shown.has(type)),
    };
  }
}
