/**
 * Why the CLI could not use the database, as one line naming the cause and the setting to fix
 * (exit 4, no stack trace): refused, no socket, unknown host, missing database, bad password or
 * user, TLS. Undefined for any other error.
 */
const TLS_VERIFY_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const RDS_BUNDLE = 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';

function causes(err: unknown): { code?: unknown; message?: unknown; syscall?: unknown; address?: unknown; hostname?: unknown }[] {
  const chain = [];
  for (let current = err; current && chain.length < 8; current = (current as { cause?: unknown }).cause) chain.push(current as object);
  return chain;
}

export function connectionFailure(err: unknown, target: string): string | undefined {
  for (const e of causes(err)) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    const message = typeof e.message === 'string' ? e.message : '';
    if (code === 'ECONNREFUSED')
      return `connection refused by ${target}: is PostgreSQL running there? Check the host and port in DATABASE_URL (or DB_HOST, DB_PORT)`;
    if (code === 'ENOENT' && e.syscall === 'connect') {
      return `no PostgreSQL socket at ${String(e.address ?? target)}: check the socket directory (?host=) and port in DATABASE_URL (or DB_HOST, DB_PORT)`;
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host ${String(e.hostname ?? target)} not found: check the host in DATABASE_URL (or DB_HOST)`;
    if (code === 'ETIMEDOUT' || /timeout exceeded when trying to connect|connection timeout/i.test(message)) {
      return `timed out connecting to ${target}: check the host and port in DATABASE_URL (or DB_HOST, DB_PORT) and the network path`;
    }
    if (code === '3D000') return `${message} on ${target}: create it (createdb) or fix the database name in DATABASE_URL (or DB_NAME)`;
    if (code === '28P01') return `${message} (${target}): check the password in DATABASE_URL (or DB_PASS)`;
    if (code === '28000') return `${message} (${target}): check the user in DATABASE_URL (or DB_USER) and the server's pg_hba.conf`;
    if (code && TLS_VERIFY_CODES.has(code)) {
      return `TLS to ${target} failed: ${message}: set DB_SSL_CA to the CA bundle that signed the server's certificate (for Amazon RDS: ${RDS_BUNDLE}), or DB_SSL=no-verify to skip verification`;
    }
    if (/The server does not support SSL connections/i.test(message)) {
      return `TLS to ${target} failed: the server does not accept TLS: remove sslmode from DATABASE_URL or set DB_SSL=false`;
    }
    if (code?.startsWith('ERR_SSL') || code?.startsWith('ERR_TLS'))
      return `TLS to ${target} failed: ${message}: check DB_SSL, DB_SSL_CA and sslmode in DATABASE_URL`;
  }
  return undefined;
}
