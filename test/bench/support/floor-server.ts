/**
 * The floor: a bare node:http server over raw `pg` that answers GET /v1/pipelines/{id} with the
 * same queries pipestore runs uncached (key lookup by SHA-256, then the pipeline with its active
 * version number) and the same JSON. Anything pipestore costs above this is framework,
 * validation and mapping. Started as its own process: node test/bench/support/floor-server.ts.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
pool.on('error', () => undefined);

const KEY_SQL = `select project_id from api_keys where hash = $1 and revoked_at is null and (expires_at is null or expires_at > now())`;
const PIPELINE_SQL = `select p.*, v.number as active_version from pipelines p left join pipeline_versions v on v.id = p.active_version_id
  where p.project_id = $1 and (p.id = $2 or p.name = $2)`;

const server = createServer(async (req, res) => {
  try {
    const match = /^\/v1\/pipelines\/([^/?]+)$/.exec(req.url ?? '');
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!match || !token) {
      res.writeHead(404).end();
      return;
    }
    // Named statements: the floor gets the same prepared-statement advantage pipestore takes.
    const key = await pool.query({ name: 'floor_key', text: KEY_SQL, values: [createHash('sha256').update(token).digest('hex')] });
    if (!key.rows[0]) {
      res.writeHead(401).end();
      return;
    }
    const { rows } = await pool.query({ name: 'floor_pipeline', text: PIPELINE_SQL, values: [key.rows[0].project_id, decodeURIComponent(match[1]!)] });
    const row = rows[0];
    if (!row) {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.stringify({
      id: row.id,
      name: row.name,
      description: row.description,
      schedule: row.schedule,
      labels: row.labels,
      activeVersion: row.active_version,
      revision: row.revision,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    });
    res.writeHead(200, { 'Content-Type': 'application/json', ETag: `"${row.revision}"` }).end(body);
  } catch {
    res.writeHead(500).end();
  }
});

server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
