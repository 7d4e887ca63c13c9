CREATE TABLE "run_rollups" (
	"project_id" text NOT NULL,
	"pipeline_id" text NOT NULL,
	"period_hours" smallint NOT NULL,
	"period_start" timestamp (3) with time zone NOT NULL,
	"bucket" smallint NOT NULL,
	"runs" integer NOT NULL,
	CONSTRAINT "run_rollups_pkey" PRIMARY KEY("project_id","period_hours","period_start","pipeline_id","bucket")
);
