import { runService } from '@girok/kit/runtime';
import { startAuthBff } from './auth-bff.ts';
import { loadConfig } from './config.ts';

// The one place that reads process.env: everything else gets the typed config.
await runService('auth-bff', loadConfig, startAuthBff);
