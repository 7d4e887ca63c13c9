ALTER TABLE "pipelines" ADD COLUMN "schedule_since" timestamp (3) with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "pipelines" ADD COLUMN "schedule_next_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "pipelines" ADD COLUMN "last_scheduled_for" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "pipeline_runs" ADD COLUMN "missed_slots" integer;--> statement-breakpoint
CREATE INDEX "pipelines_schedule_next_at_idx" ON "pipelines" USING btree ("schedule_next_at") WHERE "pipelines"."schedule" is not null and "pipelines"."schedule_enabled";