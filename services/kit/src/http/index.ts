export * from './metrics-server.ts';
export * from './openapi.ts';
export * from './problem-details.filter.ts';
export * from './problem-details.ts';
export * from './request-context.interceptor.ts';
export * from './service-app.ts';
