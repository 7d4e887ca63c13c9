/**
 * Cursors are HMAC-signed under the server's key: another key (another deployment, a client
 * guessing) cannot make one, the same key (every container of one deployment) reads them all.
 * Each CursorKeys stands for one process.
 */
import { describe, expect, it } from 'vitest';
import { CursorKeys, decodeKey, encodeKey } from '../../functions/core/pagination';

const processWith = (...secrets: string[]) => {
  const keys = new CursorKeys();
  for (const secret of secrets) keys.use(secret);
  return keys;
};

describe('cursor signing', () => {
  const secretA = 'a'.repeat(32);
  const secretB = 'b'.repeat(32);
  const payload = Buffer.from(JSON.stringify(['runs', '2024-01-01T00:00:00.000Z', 'run_1'])).toString('base64url');

  it('verifies in every process with the same secret', () => {
    expect(processWith(secretA).verify(payload, processWith(secretA).sign(payload))).toBe(true);
  });

  it('refuses a signature made with another secret, or with none configured', () => {
    const signature = processWith(secretA).sign(payload);
    expect(processWith(secretB).verify(payload, signature)).toBe(false);
    expect(processWith().verify(payload, signature)).toBe(false);
    const unconfigured = processWith();
    expect(unconfigured.verify(payload, unconfigured.sign(payload))).toBe(true);
  });

  it('signs with the last secret and still verifies the earlier ones', () => {
    const old = processWith(secretA).sign(payload);
    const both = processWith(secretA, secretB);
    expect(both.verify(payload, old)).toBe(true);
    expect(processWith(secretB).verify(payload, both.sign(payload))).toBe(true);
  });

  it('the signature covers the list name and every byte of the key', () => {
    const cursor = encodeKey('runs', [1]);
    expect(decodeKey('runs', cursor)).toEqual([1]);
    expect(() => decodeKey('pipelines', cursor)).toThrow(/cursor is invalid/);
    const [body, signature] = cursor.split('.');
    const other = Buffer.from(JSON.stringify(['runs', 2])).toString('base64url');
    for (const bad of [`${other}.${signature}`, `${body}.${signature!.slice(0, -1)}`, `${body}.${signature}.`, `${body}.`, body!]) {
      expect(() => decodeKey('runs', bad)).toThrow(/cursor is invalid/);
    }
  });
});
