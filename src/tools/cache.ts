/**
 * The result cache for read-only tools, in KV: per tenant, with a TTL, keyed by the tool and the
 * canonical JSON of its arguments. A side-effecting call on a server bumps that tenant's generation
 * for the server, so that reads cached before it (`notes.list` before a `notes.save`) are not served
 * after it. Only successful results are cached. The cache is best effort: a KV failure is a miss
 * on read and a no-op on write, never a failed tool call.
 */
import type { Clock } from "../engine/ports";
import { z } from "zod";
import { canonicalJson, sha256Hex } from "../engine/hash-chain";

const Entry = z.object({ result: z.unknown(), expires_at: z.number() });
/** KV refuses an expirationTtl under 60 s; shorter TTLs are enforced by `expires_at` on read. */
const KV_MIN_TTL_S = 60;

export type CacheLookup = { key: string } & ({ hit: true; result: unknown } | { hit: false });

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
    return `res:${encodeURIComponent(tenantId)}:${server}:${generation}:${tool}:${sha256Hex(canonicalJson(args))}`;
  }

  /**
   * The cached result, or a miss (absent, expired or unreadable), with the key to `put` a fresh
   * result under. The key holds the server's generation as of this lookup, so a result computed
   * while a side effect on the server lands is stored where later reads no longer look.
   */
  async get(tenantId: string, server: string, tool: string, args: Record<string, unknown>): Promise<CacheLookup> {
    const key = await this.key(tenantId, server, tool, args);
    const raw = await this.kv.get(key, "json").catch(() => null);
    const entry = Entry.safeParse(raw);
    if (!entry.success || entry.data.expires_at <= this.clock.now()) return { hit: false, key };
    return { hit: true, result: entry.data.result, key };
  }

  async put(key: string, result: unknown): Promise<void> {
    const entry = { result, expires_at: this.clock.now() + this.ttlS * 1000 };
    await this.kv.put(key, JSON.stringify(entry), { expirationTtl: Math.max(KV_MIN_TTL_S, this.ttlS) }).catch(() => undefined);
  }

  /** After a side effect on `server`: earlier reads of that server for this tenant no longer count. */
  async invalidateServer(tenantId: string, server: string): Promise<void> {
    const generation = `${this.clock.now()}-${crypto.randomUUID().slice(0, 8)}`;
    await this.kv.put(this.generationKey(tenantId, server), generation).catch(() => undefined);
  }
}
