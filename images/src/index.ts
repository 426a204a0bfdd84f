// What the end-to-end suites use: build the images, push them, read back their digests.
export { type BuildOptions, type BuildResult, type BuiltImage, buildImages } from './build.ts';
export { type ImageDef, images } from './catalogue.ts';
export { defaultBuildOptions } from './options.ts';
export { type PushedImage, pushImages } from './registry.ts';
