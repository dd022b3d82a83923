-- The tenant's run index behind GET /runs. Each run object upserts its own row.
CREATE TABLE IF NOT EXISTS runs (
  tenant_id       TEXT NOT NULL,
  run_id          TEXT NOT NULL,
  status          TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  message_preview TEXT NOT NULL,
  PRIMARY KEY (tenant_id, run_id)
);
CREATE INDEX IF NOT EXISTS runs_by_tenant_created ON runs (tenant_id, created_at DESC, run_id DESC);

-- Thumbs up/down on runs (POST /feedback).
CREATE TABLE IF NOT EXISTS feedback (
  feedback_id TEXT PRIMARY KEY,
  tenant_id   TEXT NOT NULL,
  run_id      TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  rating      TEXT NOT NULL CHECK (rating IN ('up', 'down')),
  comment     TEXT,
  created_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_by_run ON feedback (tenant_id, run_id);
