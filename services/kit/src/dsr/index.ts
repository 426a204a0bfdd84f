export { createDsrConsumer, type DsrConsumerChoice } from './create-dsr-consumer.ts';
export { dsrAnswersMigration } from './dsr-answers.migration.ts';
export { type DsrAnswersTable, type DsrDatabase, dsrView } from './dsr-answers.table.ts';
export { type DsrHandlers, DsrParticipant, type DsrParticipantOptions } from './dsr-participant.ts';
export {
  DSR_FULFILMENT_REQUESTED,
  DSR_PART_COMPLETED,
  DSR_TOPIC,
  type DsrDecision,
  type DsrErasureOutcome,
  type DsrErasureResult,
  type DsrFulfilmentInput,
  type DsrRequest,
  type DsrRequestType,
  decideDsrEvent,
  erasureAnswer,
  exportAnswer,
  fulfilmentRequestedEvent,
  fulfilmentRequestedMessage,
  isEmptyExport,
  partCompletedEvent,
} from './dsr-protocol.ts';
