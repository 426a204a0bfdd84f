import { infraGlobalSetup } from '@girok/e2e/infra';

export default infraGlobalSetup([
  'node',
  'registry',
  'gateway',
  'helm',
  'postgres',
  'valkey',
  'kafka',
  'clickhouse',
]);
