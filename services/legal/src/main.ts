import { runService } from '@girok/kit/runtime';
import { loadConfig } from './config.ts';
import { startLegalService } from './legal-service.ts';

// The one place that reads process.env: everything else gets the typed config.
await runService('legal-service', loadConfig, startLegalService);
