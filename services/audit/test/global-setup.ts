import { infraGlobalSetup } from '@girok/e2e/infra';

// PostgreSQL only for the suite that feeds the service through the kit's outbox relay.
export default infraGlobalSetup(['clickhouse', 'kafka', 'postgres']);
