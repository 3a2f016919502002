import { describe, expect, it } from 'vitest';
import { extractFlags, flagStyleFor } from './flags.js';

describe('extractFlags', () => {
  it('expands combined short flags', () => {
    expect(extractFlags(['-rf', '/'])).toEqual(['-r', '-f']);
  });

  it('drops the value of a long flag', () => {
    expect(extractFlags(['--output=/dev/sda', '--force'])).toEqual(['--output', '--force']);
  });

  it('stops at --', () => {
    expect(extractFlags(['-v', '--', '-rf'])).toEqual(['-v']);
  });

  it('ignores a lone dash and plain words', () => {
    expect(extractFlags(['-', 'rm', '/'])).toEqual([]);
  });

  it('does not read an attached value as more flags', () => {
    expect(extractFlags(['-o/dev/sda'])).toEqual(['-o']);
  });

  it('lists each flag once', () => {
    expect(extractFlags(['-r', '-rf'])).toEqual(['-r', '-f']);
  });

  it("keeps find's single-dash long options whole", () => {
    expect(flagStyleFor('find')).toBe('single-dash-long');
    expect(extractFlags(['/', '-name', 'x', '-delete'], 'single-dash-long')).toEqual(['-name', '-delete']);
  });
});
