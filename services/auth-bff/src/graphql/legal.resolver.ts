import { Inject } from '@nestjs/common';
import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { Caller } from '../services/browser-session.service.ts';
import { LegalFlowsService } from '../services/legal-flows.service.ts';
import { clientInfo } from '../web/cookies.ts';
import { Authenticated, CurrentCaller, CurrentExchange, type GraphqlContext } from '../web/guards.ts';
import {
  ConsentGapView,
  ConsentHistoryView,
  ConsentView,
  DsrTypeEnum,
  DsrView,
  RequiredConsentsView,
} from './legal.types.ts';

/** Consents and data-subject requests: the caller's own, with the caller's own token. */
@Resolver()
export class LegalResolver {
  readonly #legal: LegalFlowsService;

  constructor(@Inject(LegalFlowsService) legal: LegalFlowsService) {
    this.#legal = legal;
  }

  @Query(() => RequiredConsentsView, {
    description: 'What sign-up in this country must accept (no session needed)',
  })
  async requiredConsents(
    @Args('country', { type: () => String }) country: string,
    @Args('locale', { type: () => String, defaultValue: '' }) locale: string,
  ): Promise<RequiredConsentsView> {
    const { documents, rules } = await this.#legal.requiredConsents(country, locale);
    return RequiredConsentsView.of(documents, rules);
  }

  @Query(() => [ConsentGapView], { description: 'Documents to accept again (e.g. after a major version)' })
  @Authenticated()
  async consentGaps(@CurrentCaller() caller: Caller): Promise<ConsentGapView[]> {
    return (await this.#legal.gaps(caller)).gaps.flatMap((g) => ConsentGapView.of(g) ?? []);
  }

  @Query(() => [ConsentView])
  @Authenticated()
  async consents(@CurrentCaller() caller: Caller): Promise<ConsentView[]> {
    return (await this.#legal.consents(caller)).map((c) => ConsentView.of(c));
  }

  @Query(() => [ConsentHistoryView])
  @Authenticated()
  async consentHistory(@CurrentCaller() caller: Caller): Promise<ConsentHistoryView[]> {
    return (await this.#legal.history(caller)).map((e) => ConsentHistoryView.of(e));
  }

  @Mutation(() => ConsentView, { description: 'Accepts a published document' })
  @Authenticated()
  async grantConsent(
    @Args('documentId', { type: () => ID }) documentId: string,
    @CurrentCaller() caller: Caller,
    @CurrentExchange() exchange: GraphqlContext,
  ): Promise<ConsentView> {
    return ConsentView.of(
      await this.#legal.grant(caller, documentId, clientInfo(exchange.req, exchange.reply)),
    );
  }

  @Mutation(() => ConsentView, {
    description: 'Withdraws an optional consent (a required one: REQUIRED_CONSENT)',
  })
  @Authenticated()
  async withdrawConsent(
    @Args('documentType', { type: () => String }) documentType: string,
    @CurrentCaller() caller: Caller,
    @CurrentExchange() exchange: GraphqlContext,
  ): Promise<ConsentView> {
    return ConsentView.of(
      await this.#legal.withdraw(caller, documentType, clientInfo(exchange.req, exchange.reply)),
    );
  }

  @Mutation(() => DsrView, { description: 'Files a data-subject request about your own data' })
  @Authenticated()
  async fileDsr(
    @Args('type', { type: () => DsrTypeEnum }) type: number,
    @Args('details', { type: () => String, defaultValue: '' }) details: string,
    @Args('country', { type: () => String, defaultValue: '' }) country: string,
    @CurrentCaller() caller: Caller,
  ): Promise<DsrView> {
    return DsrView.of(await this.#legal.fileDsr(caller, type, details, country));
  }

  @Query(() => [DsrView])
  @Authenticated()
  async dsrs(@CurrentCaller() caller: Caller): Promise<DsrView[]> {
    return (await this.#legal.dsrs(caller)).map((d) => DsrView.of(d));
  }

  @Query(() => String, {
    description: 'A completed access/portability request’s export (JSON, keyed by service)',
  })
  @Authenticated()
  dsrExport(@Args('id', { type: () => ID }) id: string, @CurrentCaller() caller: Caller): Promise<string> {
    return this.#legal.dsrExport(caller, id);
  }
}
