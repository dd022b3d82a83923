/**
 * The fixed ports of the browser tests: the engine in dev mode, the engine with API keys, and the
 * static server that plays "another origin" (its origin is in the keyed engine's CORS_ORIGINS, so
 * it must be known when that engine starts). The proxy of the reconnection test takes any free port.
 */
export const DEV = { port: 8820, inspectorPort: 9320 };
export const KEYED = { port: 8822, inspectorPort: 9322 };
export const OTHER_ORIGIN_PORT = 8821;
export const OTHER_ORIGIN = `http://127.0.0.1:${OTHER_ORIGIN_PORT}`;

/** The keys of the keyed engine. */
export const KEYS = {
  "k-e2e-ann": { tenant_id: "acme", user_id: "ann", scopes: ["runs:read", "runs:write", "feedback:write"] },
};
export const ANN = "k-e2e-ann";
