import { describe, expect, it } from 'vitest';
import { jsonText, patchShape } from '../../functions/core/statements';

describe('prepared statement shapes', () => {
  it('names a patch by the initials of the fields it sets', () => {
    expect(patchShape({ currentStage: true, stageResults: false, output: true, error: false })).toBe('co');
    expect(patchShape({ currentStage: false, output: false })).toBe('none');
  });

  it('refuses fields that share an initial: two shapes would get one statement', () => {
    expect(() => patchShape({ output: true, outcome: false })).toThrow('share an initial');
  });

  it('sends JSON as text, and absent or null as SQL NULL', () => {
    expect(jsonText({ a: [1, 'x'] })).toBe('{"a":[1,"x"]}');
    expect(jsonText('s')).toBe('"s"');
    expect(jsonText(null)).toBeNull();
    expect(jsonText(undefined)).toBeNull();
  });
});
