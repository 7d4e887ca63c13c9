/**
 * The database. By default an Aurora Serverless v2 Postgres cluster with the Data API, which scales
 * to zero when idle: the functions reach it over HTTPS (no connections, so no VPC for the functions
 * and no NAT gateway), and linking it gives them its ARNs and the IAM permissions for the Data API.
 *
 * With PIPESTORE_EXTERNAL_DATABASE=true at deploy time there is no VPC and no cluster: the
 * functions link the `DatabaseUrl` secret instead (`npx sst secret set DatabaseUrl postgres://…`)
 * and use node-postgres, one connection per container. That Postgres must be reachable from
 * Lambda outside a VPC (a managed service with a public endpoint and TLS).
 */
import { isProtected } from './protection';

type Acu = `${number} ACU`;

function acu(value: string): Acu {
  if (/^\d+(\.5)?$/.test(value)) return `${Number(value)} ACU`;
  throw new Error(`PIPESTORE_DB_MAX_ACU: expected a number of ACUs in steps of 0.5, got ${JSON.stringify(value)}`);
}

function createAurora(production: boolean, protect: boolean) {
  // Only the cluster lives in it: two AZs, private subnets, no NAT gateway, no bastion.
  const vpc = new sst.aws.Vpc('Vpc', { az: 2 });
  return new sst.aws.Aurora('Database', {
    engine: 'postgres',
    // 16.3+ is needed for auto-pause at 0 ACU.
    version: '17',
    dataApi: true,
    vpc,
    scaling: {
      min: '0 ACU',
      max: acu(process.env.PIPESTORE_DB_MAX_ACU || (production ? '8' : '2')),
      // Resuming takes ~15 s; production pauses only after a quiet hour.
      pauseAfter: production ? '1 hour' : '5 minutes',
    },
    transform: {
      // Deletion protection and a final snapshot follow the explicit protection setting.
      cluster: protect
        ? { deletionProtection: true, skipFinalSnapshot: false, finalSnapshotIdentifier: `${$app.name}-${$app.stage}-final` }
        : { deletionProtection: false, skipFinalSnapshot: true },
    },
  });
}

export function createDatabase() {
  const aurora =
    process.env.PIPESTORE_EXTERNAL_DATABASE === 'true' ? undefined : createAurora($app.stage === 'production', isProtected($app.stage));
  /** What the functions link: the cluster (Data API), or the URL of the external Postgres. */
  const link = aurora ?? new sst.Secret('DatabaseUrl');
  return { aurora, link };
}
