/**
 * The database. By default an Aurora Serverless v2 Postgres cluster with the Data API, which scales
 * to zero when idle: the functions reach it over HTTPS (no connections, so no VPC for the functions
 * and no NAT gateway), and linking it gives them its ARNs and the IAM permissions for the Data API.
 *
 * With PIPESTORE_EXTERNAL_DATABASE=true at deploy time there is no VPC and no cluster: the
 * functions link the `DatabaseUrl` secret instead (`npx sst secret set DatabaseUrl postgres://…`)
 * and use node-postgres, one connection per container. That Postgres must be reachable from
 * Lambda outside a VPC (a managed service with a public endpoint and TLS).
 *
 * With PIPESTORE_DB_PROXY=true the cluster gets an RDS Proxy (SST's `proxy`), and the functions
 * join the VPC and use node-postgres through it (TLS required; the master credentials SST links):
 * many containers then share a small pool of database connections, where each would otherwise hold
 * one of the cluster's. README "Deploying to AWS" says when to pick which.
 */
import { isProtected } from './protection';

type Acu = `${number} ACU`;

function acu(value: string): Acu {
  if (/^\d+(\.5)?$/.test(value)) return `${Number(value)} ACU`;
  throw new Error(`PIPESTORE_DB_MAX_ACU: expected a number of ACUs in steps of 0.5, got ${JSON.stringify(value)}`);
}

/** PIPESTORE_DB_PROXY: an explicit true or false; unset is false. */
function proxySetting(env: Record<string, string | undefined>): boolean {
  const value = env.PIPESTORE_DB_PROXY?.trim();
  if (!value) return false;
  if (value !== 'true' && value !== 'false') throw new Error(`PIPESTORE_DB_PROXY: expected true or false, got ${JSON.stringify(value)}`);
  return value === 'true';
}

function createAurora(production: boolean, protect: boolean, proxy: boolean) {
  // The cluster (and its proxy, and then the functions) live in it: two AZs, private subnets, no
  // NAT gateway, no bastion.
  const vpc = new sst.aws.Vpc('Vpc', { az: 2 });
  const aurora = new sst.aws.Aurora('Database', {
    engine: 'postgres',
    // 16.3+ is needed for auto-pause at 0 ACU.
    version: '17',
    // Kept with the proxy too: tools outside the VPC (the CLI with the Data API triple) still reach it.
    dataApi: true,
    ...(proxy && { proxy: true }),
    vpc,
    scaling: {
      min: '0 ACU',
      max: acu(process.env.PIPESTORE_DB_MAX_ACU || (production ? '8' : '2')),
      // Resuming takes ~15 s; production pauses only after a quiet hour.
      pauseAfter: production ? '1 hour' : '5 minutes',
    },
    transform: {
      // SST leaves TLS optional on the proxy; pipestore's connections through it always use it.
      ...(proxy && { proxy: { requireTls: true } }),
      // Deletion protection and a final snapshot follow the explicit protection setting.
      cluster: protect
        ? { deletionProtection: true, skipFinalSnapshot: false, finalSnapshotIdentifier: `${$app.name}-${$app.stage}-final` }
        : { deletionProtection: false, skipFinalSnapshot: true },
    },
  });
  return { vpc, aurora };
}

export function createDatabase() {
  const external = process.env.PIPESTORE_EXTERNAL_DATABASE === 'true';
  const proxy = proxySetting(process.env);
  if (external && proxy) {
    throw new Error(
      "PIPESTORE_DB_PROXY: the proxy fronts pipestore's Aurora cluster; with PIPESTORE_EXTERNAL_DATABASE, point DatabaseUrl at your provider's pooled endpoint instead",
    );
  }
  const none: Record<string, string> = {};
  if (external) return { aurora: undefined, link: new sst.Secret('DatabaseUrl'), vpc: undefined, environment: none, proxy };
  const { vpc, aurora } = createAurora($app.stage === 'production', isProtected($app.stage), proxy);
  return {
    aurora,
    /** What the functions link: the cluster (its ARNs for the Data API; its host and credentials for the proxy). */
    link: aurora,
    vpc: proxy ? vpc : undefined,
    environment: proxy ? { PIPESTORE_DB_PROXY: 'true' } : none,
    proxy,
  };
}
