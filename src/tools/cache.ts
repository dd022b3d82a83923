/**
 * The result cache for read-only tools, in KV: per tenant, with a TTL, keyed by the tool and the
 * canonical JSON of its arguments. A side-effecting call on a server bumps that tenant's generation
 * for the server, so that reads cached before it (`notes.list` before a `notes.save`) are not served
 * after it. Only successful results are cached. The cache is best effort: a KV failure is a miss
 * on read and a no-op on write, never a failed tool call.
 */
import type { Clock } from "../engine/ports";
import { z } from "zod";
import { canonicalJson, sha256Hex } from "./canonical-json";

const Entry = z.object({ result: z.unknown(), expires_at: z.number() });
/** KV refuses an expirationTtl under 60 s; shorter TTLs are enforced by `expires_at` on read. */
const KV_MIN_TTL_S = 60;

export class ResultCache {
  constructor(
    private readonly kv: KVNamespace,
    private readonly ttlS: number,
    private readonly clock: Clock,
  ) {}

  private generationKey(tenantId: string, server: string): string {
    return `gen:${encodeURIComponent(tenantId)}:${server}`;
  }

  private async key(tenantId: string, server: string, tool: string, args: Record<string, unknown>): Promise<string> {
    const generation = (await this.kv.get(this.generationKey(tenantId, server)).catch(() => null)) ?? "0";
    return `res:${encodeURIComponent(tenantId)}:${server}:${generation}:${tool}:${await sha256Hex(canonicalJson(args))}`;
  }

  /** The cached result; a miss when absent, expired or unreadable. */
  async get(tenantId: string, server: string, tool: string, args: Record<string, unknown>): Promise<{ hit: true; result: unknown } | { hit: false }> {
    const raw = await this.kv.get(await this.key(tenantId, server, tool, args), "json").catch(() => null);
    const entry = Entry.safeParse(raw);
    if (!entry.success || entry.data.expires_at <= this.clock.now()) return { hit: false };
    return { hit: true, result: entry.data.result };
  }

  async put(tenantId: string, server: string, tool: string, args: Record<string, unknown>, result: unknown): Promise<void> {
    const entry = { result, expires_at: this.clock.now() + this.ttlS * 1000 };
    const key = await this.key(tenantId, server, tool, args);
    await this.kv.put(key, JSON.stringify(entry), { expirationTtl: Math.max(KV_MIN_TTL_S, this.ttlS) }).catch(() => undefined);
  }

  /** After a side effect on `server`: earlier reads of that server for this tenant no longer count. */
  async invalidateServer(tenantId: string, server: string): Promise<void> {
    const generation = `${this.clock.now()}-${crypto.randomUUID().slice(0, 8)}`;
    await this.kv.put(this.generationKey(tenantId, server), generation).catch(() => undefined);
  }
}
