import { infraGlobalSetup } from '@girok/e2e/infra';

// Valkey is identity-service's (rate limits, MFA challenges): the suites run a real one beside legal.
export default infraGlobalSetup(['postgres', 'valkey', 'kafka']);
