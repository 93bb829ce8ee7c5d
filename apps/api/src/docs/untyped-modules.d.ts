/** swagger-ui-dist ships no types; this is the one function Runyard uses. */
declare module 'swagger-ui-dist' {
  export function getAbsoluteFSPath(): string;
}

/** class-transformer types its metadata storage only under types/, not under the path it is loaded from. */
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}
