/**
 * Cleanup's defaults, in a module of their own with no imports: the typed config (read by the CLI
 * before it loads anything else) takes them from here, so does core/cleanup.ts.
 */

/** A run still pending after this long never started (its worker is gone): PENDING_RUN_TIMEOUT_S's default. */
export const DEFAULT_PENDING_RUN_TIMEOUT_S = 86_400;
