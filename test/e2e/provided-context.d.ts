// Values the browser tests' globalSetup hands to the test files (`inject(...)`).
declare module "vitest" {
  export interface ProvidedContext {
    /** Origin of `wrangler dev` in dev mode (no API_KEYS), e.g. `http://127.0.0.1:8820`. */
    devOrigin: string;
    /** Origin of `wrangler dev` with API_KEYS and CORS_ORIGINS set. */
    keyedOrigin: string;
  }
}
export {};
