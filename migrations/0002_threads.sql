-- The tenant's thread index behind GET /threads, most recently active first. Each thread object
-- upserts its own row; `version` orders its writes, so a late retry never overwrites a newer row.
CREATE TABLE IF NOT EXISTS threads (
  tenant_id  TEXT NOT NULL,
  thread_id  TEXT NOT NULL,
  status     TEXT NOT NULL,
  turns      INTEGER NOT NULL,
  title      TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version    INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, thread_id)
);
CREATE INDEX IF NOT EXISTS threads_by_tenant_updated ON threads (tenant_id, updated_at DESC, thread_id DESC);
