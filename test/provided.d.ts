// Values the global setup (test/node/global-setup.ts) provides to the tests through inject().
declare module "vitest" {
  export interface ProvidedContext {
    githubApiBase: string;
    remoteMcpBase: string;
  }
}
export {};
