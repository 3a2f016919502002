/**
 * A getopt-style scan of a wrapper's leading options, enough to find where the command it
 * runs begins. Each wrapper says which of its options take a value; everything else about
 * its options is irrelevant to finding that boundary.
 */

import { staticWord, type Word } from './word-normalise.js';

export interface OptionSpec {
  /** Short option letters that take a value, attached (`-uroot`) or as the next word. */
  shortWithValue?: string;
  /** Long option names (no dashes) that take a value, after `=` or as the next word. */
  longWithValue?: readonly string[];
  /** `-5` is an option (nice's old priority form), not the command. */
  numeric?: boolean;
  /** `+o name`-style options (shells). */
  plusOptions?: boolean;
  /** GNU argument permutation: options may follow operands (`su - root -c CMD`). */
  permute?: boolean;
}

export interface ScannedOption {
  /** `-u`, `--user` */
  name: string;
  value?: string;
  /** The value as a word, so a caller can see whether it is dynamic. */
  valueWord?: Word;
}

export interface ScannedOptions {
  options: ScannedOption[];
  /** Index of the first word that is not an option (or the length when there is none). */
  operand: number;
  /** With `permute`, the index of every operand. */
  operands: number[];
}

export function scanOptions(words: readonly Word[], spec: OptionSpec): ScannedOptions {
  const shortWithValue = spec.shortWithValue ?? '';
  const longWithValue = new Set(spec.longWithValue ?? []);
  const options: ScannedOption[] = [];
  const operands: number[] = [];
  let first = -1;
  const operandAt = (i: number): number => (first === -1 ? i : first);
  let i = 0;
  for (; i < words.length; i++) {
    const word = words[i]!;
    const w = word.value;
    if (w === '--') {
      for (let k = i + 1; k < words.length; k++) operands.push(k);
      return { options, operand: operandAt(i + 1), operands };
    }
    const plus = spec.plusOptions === true && w[0] === '+';
    // A dynamic word cannot be classified; treating it as an operand (the command) keeps it visible.
    if (word.dynamic || (w[0] !== '-' && !plus) || w.length < 2) {
      if (spec.permute !== true) break;
      if (first === -1) first = i;
      operands.push(i);
      continue;
    }
    if (w.startsWith('--') && w.length > 2) {
      const eq = w.indexOf('=');
      const name = eq === -1 ? w.slice(2) : w.slice(2, eq);
      if (eq !== -1) {
        options.push(withValue('--' + name, staticWord(w.slice(eq + 1))));
      } else if (longWithValue.has(name) && i + 1 < words.length) {
        options.push(withValue('--' + name, words[++i]!));
      } else {
        options.push({ name: '--' + name });
      }
      continue;
    }
    if (spec.numeric === true && /^-\d+$/.test(w)) {
      options.push({ name: w });
      continue;
    }
    for (let j = 1; j < w.length; j++) {
      const letter = w[j]!;
      const name = (plus ? '+' : '-') + letter;
      if (shortWithValue.includes(letter)) {
        const attached = w.slice(j + 1);
        if (attached !== '') options.push(withValue(name, staticWord(attached)));
        else if (i + 1 < words.length) options.push(withValue(name, words[++i]!));
        else options.push({ name });
        break;
      }
      options.push({ name });
    }
  }
  if (spec.permute !== true) for (let k = i; k < words.length; k++) operands.push(k);
  return { options, operand: operandAt(i), operands };
}

function withValue(name: string, word: Word): ScannedOption {
  return { name, value: word.value, valueWord: word };
}

export function hasOption(scanned: ScannedOptions, ...names: string[]): boolean {
  return scanned.options.some((o) => names.includes(o.name));
}
