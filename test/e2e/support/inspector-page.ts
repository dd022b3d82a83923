/** What a test does on the inspector page and reads back from it, in the page's own terms. */
import type { Page } from "playwright-core";
import { expect } from "vitest";

export async function startFromPage(page: Page, message: string): Promise<string> {
  const before = await page.evaluate(() => location.hash);
  await page.fill("#start-message", message);
  await page.click("#start-submit");
  await page.waitForFunction((old) => location.hash !== old && location.hash.startsWith("#/runs/"), before);
  return decodeURIComponent((await page.evaluate(() => location.hash)).slice("#/runs/".length));
}

export async function waitForRunStatus(page: Page, status: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction((want) => document.querySelector("[data-testid=run-status]")?.textContent === want, status, { timeout });
}

export async function waitForConnection(page: Page, state: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction((want) => (document.querySelector("[data-testid=connection]") as HTMLElement | null)?.dataset.state === want, state, { timeout });
}

/** The seq of every row of the timeline, in page order. */
export function timelineSeqs(page: Page): Promise<number[]> {
  return page.$$eval("[data-testid=timeline] [data-seq]", (rows) => rows.map((row) => Number((row as HTMLElement).dataset.seq)));
}

/** Waits until the timeline holds `count` rows, then checks they are exactly 1..count. */
export async function expectWholeTimeline(page: Page, count: number, timeout = 20_000): Promise<void> {
  await page.waitForFunction((n) => document.querySelectorAll("[data-testid=timeline] [data-seq]").length >= n, count, { timeout });
  const seqs = await timelineSeqs(page);
  expect(seqs, "every event once, in order, no gap").toEqual(Array.from({ length: count }, (_, i) => i + 1));
}

export function answerText(page: Page): Promise<string> {
  return page.$eval("[data-testid=answer]", (el) => el.textContent ?? "");
}

/** Waits until the page has read the run's final spans and no notice is showing (for screenshots). */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => document.querySelector("[data-testid=waterfall] li") !== null && document.querySelector(".wf-bar.running") === null && !document.querySelector(".toast.show"), null, {
    timeout: 15_000,
  });
  await page.waitForTimeout(300); // the notice's fade-out
}
