import { runService } from '@girok/kit/runtime';
import { loadConfig } from './config.ts';
import { startIdentityService } from './identity-service.ts';

// The one place that reads process.env: everything else gets the typed config.
await runService('identity-service', loadConfig, startIdentityService);
