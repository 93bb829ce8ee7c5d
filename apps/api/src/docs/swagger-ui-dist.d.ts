/** swagger-ui-dist ships no types; this is the one function Runyard uses. */
declare module 'swagger-ui-dist' {
  export function getAbsoluteFSPath(): string;
}
