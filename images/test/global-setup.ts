import { infraGlobalSetup } from '@girok/e2e/infra';

export default infraGlobalSetup(['registry', 'oci-tools']);
