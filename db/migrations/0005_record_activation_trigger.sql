-- The history of active versions (pipeline_activations), written by the database itself in the
-- transaction of every UPDATE that moves pipelines.active_version_id to a version: no code path
-- can forget it, and under concurrent activations each row's from is exactly the previous row's
-- to (the UPDATE holds the pipeline's row lock while this runs). A change to NULL is not an
-- activation: it is the ON DELETE SET NULL of a version being deleted with its pipeline.
CREATE OR REPLACE FUNCTION "record_pipeline_activation"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "pipeline_activations" ("project_id", "pipeline_id", "from_version_id", "to_version_id", "key_id", "activated_at")
  VALUES (NEW."project_id", NEW."id", OLD."active_version_id", NEW."active_version_id", NEW."activated_by_key_id", clock_timestamp());
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "pipelines_record_activation"
  AFTER UPDATE OF "active_version_id" ON "pipelines"
  FOR EACH ROW
  WHEN (NEW."active_version_id" IS NOT NULL AND OLD."active_version_id" IS DISTINCT FROM NEW."active_version_id")
  EXECUTE FUNCTION "record_pipeline_activation"();
