import { infraGlobalSetup } from '../../src/infra/vitest-setup.ts';

/** The real node (with the control plane it joins) and a server Pods reach at the host address. */
export default infraGlobalSetup(['node', 'postgres']);
