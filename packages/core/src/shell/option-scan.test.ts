import { describe, expect, it } from 'vitest';
import { scanOptions } from './option-scan.js';
import { staticWord, type Word } from './word-normalise.js';

const words = (...values: string[]): Word[] => values.map(staticWord);

describe('scanOptions', () => {
  it('finds the first operand after options with values', () => {
    const scanned = scanOptions(words('-u', 'root', '-E', 'rm', '-rf'), { shortWithValue: 'u' });
    expect(scanned.operand).toBe(3);
    expect(scanned.options).toMatchObject([{ name: '-u', value: 'root' }, { name: '-E' }]);
  });

  it('takes an attached value and a long value', () => {
    const scanned = scanOptions(words('-uroot', '--group', 'wheel', '--x=1', 'cmd'), {
      shortWithValue: 'u',
      longWithValue: ['group'],
    });
    expect(scanned.operand).toBe(4);
    expect(scanned.options.map((o) => o.value)).toEqual(['root', 'wheel', '1']);
  });

  it('ends options at --', () => {
    expect(scanOptions(words('-a', '--', '-b'), {}).operand).toBe(2);
  });

  it('treats a dynamic word as the operand', () => {
    const dynamic = { ...staticWord('$X'), dynamic: true };
    expect(scanOptions([staticWord('-E'), dynamic], {}).operand).toBe(1);
  });

  it('permutes like GNU getopt when asked', () => {
    const scanned = scanOptions(words('-', 'root', '-c', 'id'), { shortWithValue: 'c', permute: true });
    expect(scanned.options).toMatchObject([{ name: '-c', value: 'id' }]);
    expect(scanned.operands).toEqual([0, 1]);
  });

  it('accepts numeric options where allowed', () => {
    expect(scanOptions(words('-10', 'rm'), { numeric: true }).operand).toBe(1);
    expect(scanOptions(words('-10', 'rm'), {}).operand).toBe(1);
  });
});
