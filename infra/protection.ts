/**
 * Whether a stage's data is protected: `sst remove` refuses the stage, its resources are retained,
 * and its Aurora cluster has deletion protection and takes a final snapshot. An explicit setting,
 * PIPESTORE_PROTECT=true|false at deploy; unset, only the stage named `production` is protected
 * (a stage called `prod` or `prod-eu` is not, unless it says so). sst.config.ts's app() repeats
 * this rule inline: SST allows no imports there.
 */
export function isProtected(stage: string, env: Record<string, string | undefined> = process.env): boolean {
  const value = env.PIPESTORE_PROTECT?.trim();
  if (!value) return stage === 'production';
  if (value === 'true' || value === 'false') return value === 'true';
  throw new Error(`PIPESTORE_PROTECT: expected true or false, got ${JSON.stringify(value)}`);
}
