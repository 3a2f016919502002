import { describe, expect, it } from 'vitest';
import type { Decision } from '../contract.js';
import { DecisionCache } from './decision-cache.js';

const d = (rule: string): Decision => ({ effect: 'allow', reasons: [{ rule, message: '' }], masks: [] });

describe('DecisionCache', () => {
  it('evicts the least recently used entry beyond its bound', () => {
    const cache = new DecisionCache({ maxEntries: 2, ttlMs: 1000 }, () => 0);
    cache.set('a', 'o', d('a'));
    cache.set('b', 'o', d('b'));
    cache.get('a', 'o');
    cache.set('c', 'o', d('c'));
    expect(cache.get('b', 'o')).toBeUndefined();
    expect(cache.get('a', 'o')?.reasons[0]?.rule).toBe('a');
    expect(cache.get('c', 'o')?.reasons[0]?.rule).toBe('c');
    expect(cache.size).toBe(2);
  });

  it('expires entries after their TTL', () => {
    let now = 0;
    const cache = new DecisionCache({ maxEntries: 10, ttlMs: 100 }, () => now);
    cache.set('a', 'o', d('a'));
    now = 99;
    expect(cache.get('a', 'o')).toBeDefined();
    now = 100;
    expect(cache.get('a', 'o')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('refuses a hit whose owner differs', () => {
    const cache = new DecisionCache({ maxEntries: 10, ttlMs: 100 }, () => 0);
    cache.set('k', 'alice', d('a'));
    expect(cache.get('k', 'mallory')).toBeUndefined();
  });

  it('copies decisions in and out', () => {
    const cache = new DecisionCache({ maxEntries: 10, ttlMs: 100 }, () => 0);
    const decision = d('a');
    cache.set('k', 'o', decision);
    decision.effect = 'deny';
    const hit = cache.get('k', 'o')!;
    hit.masks.push({ column: 'x', strategy: 'redact' });
    expect(cache.get('k', 'o')).toEqual(d('a'));
  });
});
