import { runService } from '@girok/kit/runtime';
import { startAuthService } from './auth-service.ts';
import { loadConfig } from './config.ts';

// The one place that reads process.env: everything else gets the typed config.
await runService('auth-service', loadConfig, startAuthService);
