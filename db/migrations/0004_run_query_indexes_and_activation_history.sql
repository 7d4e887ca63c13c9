CREATE TABLE "pipeline_activations" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "pipeline_activations_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"project_id" text NOT NULL,
	"pipeline_id" text NOT NULL,
	"from_version_id" text,
	"to_version_id" text NOT NULL,
	"key_id" text,
	"activated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "pipelines" ADD COLUMN "activated_by_key_id" text;--> statement-breakpoint
ALTER TABLE "pipeline_activations" ADD CONSTRAINT "pipeline_activations_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pipeline_activations" ADD CONSTRAINT "pipeline_activations_pipeline_id_fk" FOREIGN KEY ("pipeline_id") REFERENCES "public"."pipelines"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "pipeline_activations_pipeline_id_id_idx" ON "pipeline_activations" USING btree ("pipeline_id","id");--> statement-breakpoint
CREATE INDEX "pipeline_runs_project_id_created_at_id_idx" ON "pipeline_runs" USING btree ("project_id","created_at","id");--> statement-breakpoint
CREATE INDEX "pipeline_runs_project_id_status_created_at_id_idx" ON "pipeline_runs" USING btree ("project_id","status","created_at","id");--> statement-breakpoint
CREATE INDEX "task_runs_project_id_created_at_id_idx" ON "task_runs" USING btree ("project_id","created_at","id");--> statement-breakpoint
CREATE INDEX "task_runs_project_id_status_created_at_id_idx" ON "task_runs" USING btree ("project_id","status","created_at","id");--> statement-breakpoint
CREATE INDEX "task_runs_project_id_task_id_created_at_id_idx" ON "task_runs" USING btree ("project_id","task_id","created_at","id");