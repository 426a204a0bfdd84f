import { infraGlobalSetup } from '@girok/e2e/infra';

export default infraGlobalSetup(['kube', 'kafka', 'coredns', 'gateway', 'helm', 'lua']);
