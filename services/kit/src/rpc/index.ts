export * from './caller.ts';
export * from './caller-config.ts';
export * from './rest-face.ts';
