/**
 * Variables and secrets the code reads that `wrangler types` cannot see (they have defaults in code
 * and are not in wrangler.toml, or they are secrets). Every one is listed in the README.
 */
declare namespace Cloudflare {
  interface Env {
    /** Secret. JSON: {"<key>": {"tenant_id", "user_id", "scopes": [...]}}. Absent or empty: dev mode. */
    API_KEYS?: string;
    /** Comma-separated allowed browser origins, or `*`. Default: `*` in dev mode, none with keys. */
    CORS_ORIGINS?: string;
    /** Secret. Signs stream tokens; unset: a key derived from API_KEYS. */
    STREAM_TOKEN_SECRET?: string;
    /** Lifetime of a stream token in seconds; default 3600. */
    STREAM_TOKEN_TTL_S?: string;
    LOG_LEVEL?: string;
    STEP_TIMEOUT_MS?: string;
    MAX_STEP_ATTEMPTS?: string;
    RETRY_BASE_MS?: string;
    RETRY_MAX_MS?: string;
    WATCHDOG_GRACE_MS?: string;
    TOOL_WAIT_MS?: string;
    APPROVAL_TTL_MS?: string;
    MAX_TOOL_CALLS?: string;
    MAX_WALL_TIME_MS?: string;
    MAX_TOKENS?: string;
    RETRIEVAL_K?: string;
    SSE_HEARTBEAT_MS?: string;
    /** The `retry:` frame that opens every SSE stream; default 1000. */
    SSE_RETRY_MS?: string;
    /** Secret. Signs run manifests (HMAC-SHA-256); unset: manifests are unsigned. */
    MANIFEST_KEY?: string;
    /** While a tool call waits, the first re-send of it after this long (then doubling); default 2000. */
    TOOL_RESEND_MS?: string;
    /** Tokens of earlier turns a run in a thread sees; default 4000. */
    THREAD_HISTORY_TOKENS?: string;
    /** How often a thread checks on its running run (a backstop for a late end notice); default 30000. */
    THREAD_WATCHDOG_MS?: string;
    /** Knowledge index: optional bindings (no local simulator, so not in wrangler.toml by default). */
    VECTORIZE?: VectorizeIndex;
    AI?: Ai;
    WORKERS_AI_EMBEDDING_MODEL?: string;
    WORKERS_AI_EMBEDDING_DIMENSIONS?: string;
    OPENAI_EMBEDDING_MODEL?: string;
    /** Secret. Switches the model from the offline one to OpenAI. */
    OPENAI_API_KEY?: string;
    /** Any OpenAI-compatible endpoint; default https://api.openai.com/v1. */
    OPENAI_BASE_URL?: string;
    /** Model id per capability; default gpt-4o-mini. */
    MODEL_PLANNING?: string;
    MODEL_GENERATION?: string;
    MODEL_VERIFICATION?: string;
    MODEL_CLASSIFICATION?: string;
    /** Per model call, streamed body included; default 60000. */
    MODEL_TIMEOUT_MS?: string;
    /** Safety (README "Safety"): the guardrail policy, moderation, and admission per tenant. */
    OUTPUT_LINK_ALLOWLIST?: string;
    GUARDRAIL_HIDDEN_CHARACTERS?: string;
    GUARDRAIL_SENSITIVE?: string;
    GUARDRAIL_INJECTION?: string;
    GUARDRAIL_INJECTION_THRESHOLD?: string;
    GUARDRAIL_BLOCKED_CATEGORIES?: string;
    GUARDRAIL_OUTPUT_PERSONAL_DATA?: string;
    MODERATION?: string;
    MODERATION_MODEL?: string;
    RATE_LIMIT_RUNS_PER_MIN?: string;
    MAX_ACTIVE_RUNS?: string;
  }
}
