import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { definitionErrors, scheduleError } from '../../functions/core/definitions';
import { contentHash } from '../../functions/core/hashing';

describe('definition validation', () => {
  it('accepts a DAG with fan-in', () => {
    expect(
      definitionErrors({
        stages: [{ id: 'a' }, { id: 'b', dependsOn: ['a'] }, { id: 'c', dependsOn: ['a'] }, { id: 'd', dependsOn: ['b', 'c'] }],
      }),
    ).toEqual([]);
  });

  it('finds a cycle that does not start at the first stage', () => {
    const errors = definitionErrors({
      stages: [{ id: 'start' }, { id: 'x', dependsOn: ['start', 'z'] }, { id: 'y', dependsOn: ['x'] }, { id: 'z', dependsOn: ['y'] }],
    });
    expect(errors).toEqual([{ path: 'definition.stages.1.dependsOn', message: 'dependency cycle: x -> z -> y -> x' }]);
  });

  it('reports every duplicate and unknown dependency at once', () => {
    const errors = definitionErrors({
      stages: [{ id: 'a', dependsOn: ['q'] }, { id: 'a' }, { id: 'b', dependsOn: ['r'] }],
    });
    expect(errors.map((e) => e.path)).toEqual(['definition.stages.1.id', 'definition.stages.0.dependsOn.0', 'definition.stages.2.dependsOn.0']);
  });
});

describe('content hash', () => {
  it('is the SHA-256 of RFC 8785 canonical JSON', () => {
    expect(contentHash({ b: 1, a: [1, 'x'], c: 1e21 })).toBe(createHash('sha256').update('{"a":[1,"x"],"b":1,"c":1e+21}').digest('hex'));
  });

  it('differs when array order differs', () => {
    expect(contentHash({ a: [1, 2] })).not.toBe(contentHash({ a: [2, 1] }));
  });
});

describe('schedule', () => {
  it.each(['*/5 * * * *', '0 3 * * 1-5', '@daily'])('accepts %s', (s) => expect(scheduleError(s)).toBeUndefined());
  it.each([
    ['', /^not a valid cron expression: /],
    ['every day', /^not a valid cron expression: /],
    ['60 * * * *', /^not a valid cron expression: /],
    ['0 0 30 2 *', /^the schedule never fires$/],
    ['0 0 3 * * *', /^seconds are not supported: /],
  ])('rejects %j, saying why', (s, reason) => expect(scheduleError(s)).toMatch(reason));
});
