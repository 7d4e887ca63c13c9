/** The one reader of postgres:// URLs (db/connection-string.ts): sockets, descriptions, TLS settings. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../functions/config';
import type { DatabaseConfig } from '../../db/config';
import { describeDatabaseUrl, parseDatabaseUrl, tlsSettings } from '../../db/connection-string';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const pgConfig = (env: Record<string, string>) => loadConfig(env, 'cli').database as Extract<DatabaseConfig, { driver: 'pg' }>;

describe('connection strings', () => {
  it('reads socket URLs the way users write them, and describes them without the password', () => {
    expect(parseDatabaseUrl('postgres://u:p@/db?host=/cloudsql/p:r:i')).toMatchObject({ host: '/cloudsql/p:r:i', database: 'db', user: 'u', password: 'p' });
    expect(describeDatabaseUrl('postgres://u:secret@/db?host=/cloudsql/p:r:i')).toBe('socket /cloudsql/p:r:i/db');
    expect(describeDatabaseUrl('postgresql://u:secret@db.example.com:6543/app?sslmode=require')).toBe('db.example.com:6543/app');
    expect(describeDatabaseUrl('postgres://u@localhost/app')).toBe('localhost:5432/app');
  });

  it('DB_SSL_CA as PEM text (newlines escaped or not) turns verification on over the URL sslmode', () => {
    const escaped = PEM.replace(/\n/g, '\\n');
    const config = pgConfig({ DATABASE_URL: 'postgres://u@h/d?sslmode=no-verify', DB_SSL_CA: escaped });
    expect(config.sslCa).toBe(PEM);
    expect(tlsSettings(config, parseDatabaseUrl('postgres://u@h/d?sslmode=no-verify').ssl)).toEqual({ ca: PEM, rejectUnauthorized: true });
    expect(tlsSettings(pgConfig({ DATABASE_URL: 'postgres://u@h/d', DB_SSL_CA: PEM }), undefined)).toEqual({ ca: PEM, rejectUnauthorized: true });
  });

  it('DB_SSL over the URL: false, no-verify, true; unset leaves the URL its say', () => {
    const require = parseDatabaseUrl('postgres://u@h/d?sslmode=require').ssl;
    expect(tlsSettings(pgConfig({ DATABASE_URL: 'postgres://u@h/d', DB_SSL: 'false' }), require)).toBe(false);
    expect(tlsSettings(pgConfig({ DATABASE_URL: 'postgres://u@h/d', DB_SSL: 'no-verify' }), require)).toEqual({ rejectUnauthorized: false });
    expect(tlsSettings(pgConfig({ DATABASE_URL: 'postgres://u@h/d', DB_SSL: 'true' }), undefined)).toBe(true);
    expect(tlsSettings(pgConfig({ DATABASE_URL: 'postgres://u@h/d' }), require)).toEqual({});
    expect(tlsSettings(pgConfig({ DATABASE_URL: 'postgres://u@h/d' }), undefined)).toBeUndefined();
  });

  it('refuses DB_SSL_CA that is neither PEM nor a readable file, naming the variable', () => {
    expect(() => loadConfig({ DB_SSL_CA: 'not a certificate' })).toThrow(ConfigError);
    expect(() => loadConfig({ DB_SSL_CA: 'not a certificate' })).toThrow(/DB_SSL_CA: expected PEM text or a readable PEM file/);
  });
});
