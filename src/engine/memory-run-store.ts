/**
 * The in-memory twin of the run's SQLite store (STYLE.md 2): same contract, same append logic
 * (`prepareAppend`), all-or-nothing commits. Engine unit tests drive the runtime on it with a pinned
 * clock, and `npm run replay` replays an exported run on it, with no Workers runtime at all.
 */
import { EMPTY_HEAD, dueAt, effectKey, prepareAppend } from "./journal";
import type { AppendedEvent, Commit, EffectOutcome, LogHead, OutboxItem, RunStore } from "./journal";
import type { Clock } from "./ports";
import type { RunState } from "./state";
import type { Span } from "./trace";
import type { WorkflowState } from "./workflow";

export class MemoryRunStore implements RunStore {
  private head: LogHead = EMPTY_HEAD;
  private wf: WorkflowState | null = null;
  private readonly log: AppendedEvent[] = [];
  private readonly spanMap = new Map<string, Span>();
  private readonly outbox = new Map<string, OutboxItem>();
  private readonly metaMap = new Map<string, string>();

  constructor(private readonly clock: Clock) {}

  state(): RunState | null {
    return this.head.state;
  }

  workflow(): WorkflowState | null {
    return this.wf;
  }

  lastSeq(): number {
    return this.head.seq;
  }

  meta(key: string): string | null {
    return this.metaMap.get(key) ?? null;
  }

  commit(commit: Commit): AppendedEvent[] {
    const runId = this.head.state?.run_id ?? commit.workflow?.run_id ?? this.wf?.run_id ?? commit.run_id ?? "";
    // Everything that can throw happens before anything is written.
    const prepared =
      (commit.events?.length ?? 0) > 0
        ? prepareAppend(this.head, runId, commit.events ?? [], new Date(commit.at ?? this.clock.now()).toISOString())
        : null;
    if (prepared !== null) {
      this.head = prepared.head;
      this.log.push(...prepared.rows.map(({ seq, type, json }) => ({ seq, type, json })));
    }
    if (commit.workflow !== undefined) this.wf = commit.workflow;
    for (const span of commit.spans ?? []) this.spanMap.set(span.span_id, span);
    for (const effect of commit.outbox ?? []) {
      const id = effectKey(effect);
      const version = (this.outbox.get(id)?.version ?? 0) + 1;
      this.outbox.set(id, { id, version, effect, attempts: 0, next_attempt_at: dueAt(effect, this.clock.now()) });
    }
    for (const key of commit.settled ?? []) this.outbox.delete(key);
    for (const [key, value] of Object.entries(commit.meta ?? {})) this.metaMap.set(key, value);
    return prepared?.rows.map(({ seq, type, json }) => ({ seq, type, json })) ?? [];
  }

  eventsAfter(after: number, limit: number): AppendedEvent[] {
    return this.log.slice(after, after + limit);
  }

  spans(): Span[] {
    return [...this.spanMap.values()];
  }

  span(spanId: string): Span | null {
    return this.spanMap.get(spanId) ?? null;
  }

  pendingEffects(now?: number): OutboxItem[] {
    return [...this.outbox.values()]
      .filter((item) => now === undefined || item.next_attempt_at <= now)
      .sort((a, b) => a.next_attempt_at - b.next_attempt_at);
  }

  settleEffect(item: OutboxItem, outcome: EffectOutcome): void {
    const current = this.outbox.get(item.id);
    if (current === undefined || current.version !== item.version) return;
    if (outcome.done) this.outbox.delete(item.id);
    else this.outbox.set(item.id, { ...current, attempts: current.attempts + 1, next_attempt_at: outcome.at });
  }
}
