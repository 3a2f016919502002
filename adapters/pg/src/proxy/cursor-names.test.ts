import { describe, expect, it } from 'vitest';
import { declaredCursorName, fetchedCursorName } from './cursor-names.js';

describe('cursor names', () => {
  it('reads the name a DECLARE opens', () => {
    expect(declaredCursorName('DECLARE c CURSOR FOR SELECT 1')).toBe('c');
    expect(declaredCursorName('declare Big_One binary scroll cursor with hold for select 1')).toBe('big_one');
    expect(declaredCursorName('DECLARE "My ""C""" CURSOR FOR SELECT 1')).toBe('My "C"');
    expect(declaredCursorName('SELECT 1')).toBeUndefined();
  });

  it('reads the name a FETCH or MOVE reads', () => {
    expect(fetchedCursorName('FETCH ALL FROM c')).toBe('c');
    expect(fetchedCursorName('fetch forward 10 in Big_One;')).toBe('big_one');
    expect(fetchedCursorName('FETCH 2 c')).toBe('c');
    expect(fetchedCursorName('MOVE ABSOLUTE -1 IN "My ""C"""')).toBe('My "C"');
    expect(fetchedCursorName('FETCH ALL FROM 1')).toBeUndefined();
  });

  it('gives no name for a FETCH with a comment, which could end in another name', () => {
    expect(fetchedCursorName('FETCH ALL FROM c -- plain')).toBeUndefined();
    expect(fetchedCursorName('FETCH ALL FROM c /* plain */')).toBeUndefined();
    expect(fetchedCursorName('FETCH ALL FROM /* x */ c')).toBeUndefined();
  });
});
