import { runService } from '@girok/kit/runtime';
import { startAuditService } from './audit-service.ts';
import { loadConfig } from './config.ts';

// The one place that reads process.env: everything else gets the typed config.
await runService('audit-service', loadConfig, startAuditService);
