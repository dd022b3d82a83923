/**
 * vitest `globalSetup` (runs in Node, once per test run): starts the fake OpenAI-compatible server
 * and hands its address to the tests in the Workers pool through `provide` / `inject`. It listens
 * on `FAKE_OPENAI_PORT` when `vitest.config.ts` chose one (so that Worker bindings configured at
 * start-up can point at it), else on any free port.
 */
/// <reference path="../provided-context.d.ts" />
import type { TestProject } from "vitest/node";
import { startFakeOpenAI } from "./fake-openai";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const port = Number(process.env.FAKE_OPENAI_PORT ?? 0);
  const fake = await startFakeOpenAI(Number.isInteger(port) ? port : 0);
  project.provide("fakeOpenAIUrl", fake.url);
  return () => fake.close();
}
