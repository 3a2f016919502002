import type { ConfigIssue } from '../errors.js';

const describe = (value: unknown): string =>
  value === undefined ? 'nothing' : value === null ? 'null' : JSON.stringify(value);

/**
 * Reads fields out of an untyped YAML document, collecting every problem with the path to it
 * (`resources[0].upstream.port`) instead of stopping at the first, so one run of `--check`
 * lists everything to fix.
 */
export class ConfigChecker {
  readonly issues: ConfigIssue[] = [];

  fail(path: string, message: string): undefined {
    this.issues.push({ path, message });
    return undefined;
  }

  object(value: unknown, path: string, required = true): Record<string, unknown> | undefined {
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return this.fail(path, `expected a mapping, got ${describe(value)}`);
    return value as Record<string, unknown>;
  }

  /** Flags keys the schema does not know, which are usually typos. */
  known(obj: Record<string, unknown>, path: string, keys: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!keys.includes(key))
        this.fail(path === '' ? key : `${path}.${key}`, `unknown field; expected one of ${keys.join(', ')}`);
    }
  }

  string(value: unknown, path: string, options: { default?: string; pattern?: RegExp; hint?: string } = {}) {
    if (value === undefined && options.default !== undefined) return options.default;
    if (typeof value !== 'string' || value === '')
      return this.fail(
        path,
        `expected a non-empty string${options.hint ? ` (${options.hint})` : ''}, got ${describe(value)}`,
      );
    if (options.pattern && !options.pattern.test(value))
      return this.fail(
        path,
        `${describe(value)} is not valid: ${options.hint ?? `must match ${options.pattern}`}`,
      );
    return value;
  }

  /** A TCP port; `listen` ports may be 0 (pick a free one), upstream ports may not. */
  port(
    value: unknown,
    path: string,
    options: { default?: number; listen?: boolean } = {},
  ): number | undefined {
    if (value === undefined && options.default !== undefined) return options.default;
    const min = options.listen ? 0 : 1;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 65535) {
      const hint = options.listen ? ' (0 picks a free port)' : '';
      return this.fail(path, `expected an integer 1-65535${hint}, got ${describe(value)}`);
    }
    return value;
  }

  boolean(value: unknown, path: string, defaultValue: boolean): boolean | undefined {
    if (value === undefined) return defaultValue;
    if (typeof value !== 'boolean') return this.fail(path, `expected true or false, got ${describe(value)}`);
    return value;
  }

  stringList(value: unknown, path: string): string[] | undefined {
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== ''))
      return this.fail(path, `expected a list of strings, got ${describe(value)}`);
    return value as string[];
  }

  stringMap(value: unknown, path: string): Record<string, string> | undefined {
    if (value === undefined) return {};
    const obj = this.object(value, path);
    if (!obj) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v === 'string') out[k] = v;
      else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
      else this.fail(`${path}.${k}`, `expected a string label value, got ${describe(v)}`);
    }
    return out;
  }

  url(value: unknown, path: string, required: boolean): string | undefined {
    if (value === undefined && !required) return undefined;
    const text = this.string(value, path, { hint: 'an http:// or https:// URL' });
    if (text === undefined) return undefined;
    try {
      const u = new URL(text);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      return text;
    } catch {
      return this.fail(path, `${describe(text)} is not an http:// or https:// URL`);
    }
  }
}
