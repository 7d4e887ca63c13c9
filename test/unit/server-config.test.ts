import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../functions/config';

describe('configuration of the local server (npm start)', () => {
  it('has limits suited to an API by default', () => {
    expect(loadConfig({}, 'server').server).toEqual({
      host: '127.0.0.1',
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 1_000,
      maxHeaderBytes: 16_384,
      shutdownGraceMs: 8_000,
    });
  });

  it('reads each limit from its variable', () => {
    expect(
      loadConfig({
        HOST: '0.0.0.0',
        SERVER_HEADERS_TIMEOUT_MS: '2000',
        SERVER_REQUEST_TIMEOUT_MS: '4000',
        SERVER_KEEP_ALIVE_TIMEOUT_MS: '65000',
        SERVER_MAX_CONNECTIONS: '50',
        SERVER_MAX_HEADER_BYTES: '8192',
        SHUTDOWN_GRACE_MS: '0',
      }).server,
    ).toEqual({
      host: '0.0.0.0',
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 4_000,
      keepAliveTimeoutMs: 65_000,
      maxConnections: 50,
      maxHeaderBytes: 8_192,
      shutdownGraceMs: 0,
    });
  });

  it.each([
    [{ SERVER_HEADERS_TIMEOUT_MS: '0' }, 'SERVER_HEADERS_TIMEOUT_MS: expected an integer between 100 and 600000'],
    [{ SERVER_MAX_CONNECTIONS: 'many' }, 'SERVER_MAX_CONNECTIONS: expected an integer'],
    [{ SERVER_MAX_HEADER_BYTES: '100' }, 'SERVER_MAX_HEADER_BYTES: expected an integer between 1024'],
    [{ SHUTDOWN_GRACE_MS: '-1' }, 'SHUTDOWN_GRACE_MS'],
    [{ SERVER_HEADERS_TIMEOUT_MS: '5000', SERVER_REQUEST_TIMEOUT_MS: '1000' }, 'SERVER_HEADERS_TIMEOUT_MS: must not exceed SERVER_REQUEST_TIMEOUT_MS'],
  ])('rejects %j naming the variable', (env, message) => {
    expect(() => loadConfig(env, 'server')).toThrow(ConfigError);
    expect(() => loadConfig(env, 'server')).toThrow(message);
  });
});
