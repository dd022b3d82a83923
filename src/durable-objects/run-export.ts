/**
 * `GET /runs/{id}/export`: the whole log as JSON lines (`application/x-ndjson`), each line an
 * envelope exactly as stored. The stream pulls a page from SQLite only when the client has read the
 * last one, so memory stays flat at any length (bench/replay.mjs measures 100,000 events).
 */
const PAGE = 500;

export function exportStream(page: (after: number, limit: number) => { json: string }[]): Response {
  const encoder = new TextEncoder();
  let after = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const rows = page(after, PAGE);
        if (rows.length > 0) {
          controller.enqueue(encoder.encode(`${rows.map((row) => row.json).join("\n")}\n`));
          after += rows.length;
        }
        if (rows.length < PAGE) controller.close();
      },
    },
    { highWaterMark: 1 },
  );
  return new Response(body, { headers: { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store" } });
}
