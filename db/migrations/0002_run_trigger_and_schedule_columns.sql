ALTER TABLE "pipelines" ADD COLUMN "timezone" text DEFAULT 'UTC' NOT NULL;--> statement-breakpoint
ALTER TABLE "pipelines" ADD COLUMN "schedule_enabled" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "pipeline_runs" ADD COLUMN "trigger" text DEFAULT 'api' NOT NULL;--> statement-breakpoint
ALTER TABLE "pipeline_runs" ADD COLUMN "scheduled_for" timestamp (3) with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "pipeline_runs_pipeline_id_scheduled_for_key" ON "pipeline_runs" USING btree ("pipeline_id","scheduled_for");--> statement-breakpoint
ALTER TABLE "pipeline_runs" ADD CONSTRAINT "pipeline_runs_trigger_check" CHECK ("pipeline_runs"."trigger" in ('api', 'schedule', 'console'));