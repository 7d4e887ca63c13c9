-- The rollups behind GET /v1/runs/stats (table run_rollups, db/schema/run-rollups.ts), kept by the
-- database itself in the transaction of every write of a run: whatever path creates, finishes,
-- moves or deletes a run (the API, cleanup, a cascade, a hand-written UPDATE), its hour and its
-- day are adjusted by the difference between the old row and the new one.

-- The buckets a run counts in: its status (minus its 1-based position in RUN_STATUSES: pending = -1) and, once finished, its
-- duration's log-scale bucket (0 below 1 ms, else 1 + floor(log_1.05(ms)); see duration-histogram.ts).
CREATE OR REPLACE FUNCTION "run_rollup_buckets"("status" text, "started_at" timestamptz, "completed_at" timestamptz)
RETURNS SETOF smallint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (- array_position(ARRAY['pending', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'], "status"))::smallint
  UNION ALL
  SELECT (CASE WHEN ms < 1 THEN 0 ELSE 1 + floor(ln(ms) / ln(1.05::float8)) END)::smallint
  -- float8, not the numeric extract() returns: ln() of a numeric costs ~10 µs a row.
  FROM (SELECT (extract(epoch FROM "completed_at" - "started_at") * 1000)::float8 AS ms) d
  WHERE "completed_at" IS NOT NULL AND "started_at" IS NOT NULL
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "apply_run_rollup_delta"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- One statement, keys sorted (concurrent writers lock shared rows in the same order); a key
  -- whose old and new contributions cancel out is not touched.
  INSERT INTO "run_rollups" AS r ("project_id", "pipeline_id", "period_hours", "period_start", "bucket", "runs")
  SELECT d."project_id", d."pipeline_id", p.hours, date_bin(p.hours * interval '1 hour', d."created_at", timestamptz '2000-01-01 00:00:00+00'),
    b.bucket, sum(d.delta)
  FROM (
    SELECT OLD."project_id", OLD."pipeline_id", OLD."status", OLD."created_at", OLD."started_at", OLD."completed_at", -1 AS delta WHERE TG_OP <> 'INSERT'
    UNION ALL
    SELECT NEW."project_id", NEW."pipeline_id", NEW."status", NEW."created_at", NEW."started_at", NEW."completed_at", 1 WHERE TG_OP <> 'DELETE'
  ) d
  CROSS JOIN (VALUES (1::smallint), (24::smallint)) p(hours)
  CROSS JOIN LATERAL "run_rollup_buckets"(d."status", d."started_at", d."completed_at") b(bucket)
  GROUP BY 1, 2, 3, 4, 5
  HAVING sum(d.delta) <> 0
  ORDER BY 1, 3, 4, 2, 5
  ON CONFLICT ("project_id", "period_hours", "period_start", "pipeline_id", "bucket") DO UPDATE SET "runs" = r."runs" + excluded."runs";
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "pipeline_runs_rollup" AFTER INSERT OR DELETE ON "pipeline_runs"
  FOR EACH ROW EXECUTE FUNCTION "apply_run_rollup_delta"();
--> statement-breakpoint
-- Updates that change nothing the rollups hold (heartbeats, stage results, output) cost nothing.
CREATE TRIGGER "pipeline_runs_rollup_update" AFTER UPDATE OF "project_id", "pipeline_id", "status", "created_at", "started_at", "completed_at" ON "pipeline_runs"
  FOR EACH ROW
  WHEN (OLD."project_id" IS DISTINCT FROM NEW."project_id" OR OLD."pipeline_id" IS DISTINCT FROM NEW."pipeline_id"
    OR OLD."status" IS DISTINCT FROM NEW."status" OR OLD."created_at" IS DISTINCT FROM NEW."created_at"
    OR OLD."started_at" IS DISTINCT FROM NEW."started_at" OR OLD."completed_at" IS DISTINCT FROM NEW."completed_at")
  EXECUTE FUNCTION "apply_run_rollup_delta"();
--> statement-breakpoint
-- Rebuilds every rollup from pipeline_runs (the backfill below; after a bulk load made with
-- triggers off, e.g. the benchmark's seeding). Takes the table's share lock so no write slips between.
CREATE OR REPLACE FUNCTION "rebuild_run_rollups"() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  LOCK TABLE "pipeline_runs" IN SHARE MODE;
  DELETE FROM "run_rollups";
  INSERT INTO "run_rollups" ("project_id", "pipeline_id", "period_hours", "period_start", "bucket", "runs")
  SELECT r."project_id", r."pipeline_id", p.hours, date_bin(p.hours * interval '1 hour', r."created_at", timestamptz '2000-01-01 00:00:00+00'),
    b.bucket, count(*)
  FROM "pipeline_runs" r
  CROSS JOIN (VALUES (1::smallint), (24::smallint)) p(hours)
  CROSS JOIN LATERAL "run_rollup_buckets"(r."status", r."started_at", r."completed_at") b(bucket)
  GROUP BY 1, 2, 3, 4, 5;
END
$$;
--> statement-breakpoint
SELECT "rebuild_run_rollups"();
