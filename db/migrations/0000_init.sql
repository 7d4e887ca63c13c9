CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"name" text,
	"prefix" text NOT NULL,
	"hash" text NOT NULL,
	"last_four" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp (3) with time zone,
	"revoked_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"revision" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pipeline_versions" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"pipeline_id" text NOT NULL,
	"number" integer NOT NULL,
	"hash" text NOT NULL,
	"definition" jsonb NOT NULL,
	"source_hash" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pipeline_versions_pipeline_id_hash_key" UNIQUE("pipeline_id","hash"),
	CONSTRAINT "pipeline_versions_pipeline_id_number_key" UNIQUE("pipeline_id","number"),
	CONSTRAINT "pipeline_versions_number_positive" CHECK ("pipeline_versions"."number" >= 1)
);
--> statement-breakpoint
CREATE TABLE "pipelines" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"schedule" text,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"active_version_id" text,
	"revision" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pipelines_project_id_name_key" UNIQUE("project_id","name")
);
--> statement-breakpoint
CREATE TABLE "pipeline_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"pipeline_id" text NOT NULL,
	"version_id" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"current_stage" text,
	"stage_results" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"input" jsonb,
	"output" jsonb,
	"error" jsonb,
	"started_at" timestamp (3) with time zone,
	"completed_at" timestamp (3) with time zone,
	"heartbeat_at" timestamp (3) with time zone,
	"revision" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pipeline_runs_status_check" CHECK ("pipeline_runs"."status" in ('pending', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'))
);
--> statement-breakpoint
CREATE TABLE "task_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"run_id" text NOT NULL,
	"stage_id" text NOT NULL,
	"task_id" text NOT NULL,
	"task_name" text,
	"attempt" integer DEFAULT 1 NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"progress" double precision DEFAULT 0 NOT NULL,
	"messages" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"input" jsonb,
	"output" jsonb,
	"error" jsonb,
	"started_at" timestamp (3) with time zone,
	"completed_at" timestamp (3) with time zone,
	"heartbeat_at" timestamp (3) with time zone,
	"revision" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "task_runs_run_id_stage_id_task_id_attempt_key" UNIQUE("run_id","stage_id","task_id","attempt"),
	CONSTRAINT "task_runs_status_check" CHECK ("task_runs"."status" in ('pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled')),
	CONSTRAINT "task_runs_progress_check" CHECK ("task_runs"."progress" >= 0 and "task_runs"."progress" <= 1),
	CONSTRAINT "task_runs_attempt_check" CHECK ("task_runs"."attempt" >= 1)
);
--> statement-breakpoint
CREATE TABLE "services" (
	"project_id" text NOT NULL,
	"id" text NOT NULL,
	"version" text,
	"base_url" text,
	"status" text DEFAULT 'active' NOT NULL,
	"last_seen_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"revision" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "services_pkey" PRIMARY KEY("project_id","id"),
	CONSTRAINT "services_status_check" CHECK ("services"."status" in ('active', 'draining', 'inactive'))
);
--> statement-breakpoint
CREATE TABLE "task_code_history" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"task_id" text NOT NULL,
	"service_id" text NOT NULL,
	"previous_hash" text,
	"new_hash" text NOT NULL,
	"changed_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"project_id" text NOT NULL,
	"id" text NOT NULL,
	"service_id" text NOT NULL,
	"code_hash" text NOT NULL,
	"max_attempts" integer DEFAULT 3 NOT NULL,
	"timeout_seconds" integer,
	"revision" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tasks_pkey" PRIMARY KEY("project_id","id"),
	CONSTRAINT "tasks_max_attempts_check" CHECK ("tasks"."max_attempts" >= 1)
);
--> statement-breakpoint
CREATE TABLE "dlq" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"run_id" text NOT NULL,
	"task_run_id" text NOT NULL,
	"payload" jsonb,
	"error" jsonb,
	"attempts" integer NOT NULL,
	"failed_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"replayed_at" timestamp (3) with time zone,
	"replay_task_run_id" text,
	"revision" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"project_id" text NOT NULL,
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"fingerprint" text,
	"state" text DEFAULT 'in_flight' NOT NULL,
	"response_status" integer,
	"response_body" jsonb,
	"response_headers" jsonb,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY("project_id","scope","key"),
	CONSTRAINT "idempotency_keys_scope_check" CHECK ("idempotency_keys"."scope" in ('http', 'task')),
	CONSTRAINT "idempotency_keys_state_check" CHECK ("idempotency_keys"."state" in ('in_flight', 'completed')),
	CONSTRAINT "idempotency_keys_key_length_check" CHECK (char_length("idempotency_keys"."key") between 1 and 255)
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pipeline_versions" ADD CONSTRAINT "pipeline_versions_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pipeline_versions" ADD CONSTRAINT "pipeline_versions_pipeline_id_fk" FOREIGN KEY ("pipeline_id") REFERENCES "public"."pipelines"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pipelines" ADD CONSTRAINT "pipelines_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pipelines" ADD CONSTRAINT "pipelines_active_version_id_pipeline_versions_id_fk" FOREIGN KEY ("active_version_id") REFERENCES "public"."pipeline_versions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pipeline_runs" ADD CONSTRAINT "pipeline_runs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pipeline_runs" ADD CONSTRAINT "pipeline_runs_pipeline_id_pipelines_id_fk" FOREIGN KEY ("pipeline_id") REFERENCES "public"."pipelines"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pipeline_runs" ADD CONSTRAINT "pipeline_runs_version_id_pipeline_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."pipeline_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_runs" ADD CONSTRAINT "task_runs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_runs" ADD CONSTRAINT "task_runs_run_id_pipeline_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."pipeline_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "services" ADD CONSTRAINT "services_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_code_history" ADD CONSTRAINT "task_code_history_task_fk" FOREIGN KEY ("project_id","task_id") REFERENCES "public"."tasks"("project_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_service_fk" FOREIGN KEY ("project_id","service_id") REFERENCES "public"."services"("project_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dlq" ADD CONSTRAINT "dlq_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dlq" ADD CONSTRAINT "dlq_run_id_pipeline_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."pipeline_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dlq" ADD CONSTRAINT "dlq_task_run_id_task_runs_id_fk" FOREIGN KEY ("task_run_id") REFERENCES "public"."task_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dlq" ADD CONSTRAINT "dlq_replay_task_run_id_task_runs_id_fk" FOREIGN KEY ("replay_task_run_id") REFERENCES "public"."task_runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_hash_idx" ON "api_keys" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "api_keys_project_id_idx" ON "api_keys" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "projects_created_at_id_idx" ON "projects" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "pipelines_project_id_created_at_id_idx" ON "pipelines" USING btree ("project_id","created_at","id");--> statement-breakpoint
CREATE INDEX "pipeline_runs_pipeline_id_created_at_id_idx" ON "pipeline_runs" USING btree ("pipeline_id","created_at","id");--> statement-breakpoint
CREATE INDEX "pipeline_runs_pipeline_id_status_created_at_id_idx" ON "pipeline_runs" USING btree ("pipeline_id","status","created_at","id");--> statement-breakpoint
CREATE INDEX "pipeline_runs_heartbeat_at_idx" ON "pipeline_runs" USING btree ("heartbeat_at") WHERE "pipeline_runs"."status" = 'running';--> statement-breakpoint
CREATE INDEX "pipeline_runs_completed_at_idx" ON "pipeline_runs" USING btree ("completed_at") WHERE "pipeline_runs"."completed_at" is not null;--> statement-breakpoint
CREATE INDEX "task_code_history_project_id_task_id_changed_at_id_idx" ON "task_code_history" USING btree ("project_id","task_id","changed_at","id");--> statement-breakpoint
CREATE INDEX "tasks_project_id_service_id_idx" ON "tasks" USING btree ("project_id","service_id");--> statement-breakpoint
CREATE UNIQUE INDEX "dlq_task_run_id_idx" ON "dlq" USING btree ("task_run_id");--> statement-breakpoint
CREATE INDEX "dlq_project_id_created_at_id_idx" ON "dlq" USING btree ("project_id","created_at","id");--> statement-breakpoint
CREATE INDEX "dlq_failed_at_idx" ON "dlq" USING btree ("failed_at");--> statement-breakpoint
CREATE INDEX "dlq_run_id_idx" ON "dlq" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "dlq_replay_task_run_id_idx" ON "dlq" USING btree ("replay_task_run_id") WHERE "dlq"."replay_task_run_id" is not null;--> statement-breakpoint
CREATE INDEX "idempotency_keys_expires_at_idx" ON "idempotency_keys" USING btree ("expires_at");