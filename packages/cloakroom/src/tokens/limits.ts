/** An access token never lives longer than this (seconds), whatever the configuration says. */
export const MAX_ACCESS_TOKEN_SECONDS = 3600;

/** The default access-token lifetime (seconds). */
export const DEFAULT_ACCESS_TOKEN_SECONDS = 300;

/** The largest clock tolerance a verifier accepts (seconds); keyrings keep retired keys this much longer. */
export const MAX_CLOCK_TOLERANCE_SECONDS = 60;

/** Tokens longer than this (bytes of the compact serialization) are refused before any parsing. */
export const MAX_TOKEN_BYTES = 8192;
