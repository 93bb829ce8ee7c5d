/**
 * Whether a request's raw URL may belong to an area mounted at `prefix` (Express matches paths
 * case-insensitively). Middleware mounted on "/" for one area checks this first, so the API's own
 * requests skip that area's router entirely; a URL it lets through is still the router's to match.
 */
export const mayBeUnder = (url: string, prefix: string): boolean => url.slice(0, prefix.length).toLowerCase() === prefix;
