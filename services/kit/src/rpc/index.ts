export * from './caller.ts';
export * from './rest-face.ts';
export * from './caller-config.ts';
