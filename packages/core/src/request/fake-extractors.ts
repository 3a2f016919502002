import { createHash } from 'node:crypto';
import type { CommandFacts, ShellFacts, StatementFacts } from '../contract.js';
import type { FactExtractors } from './fact-extractors.js';

/**
 * Test support, not part of the public API: extractors that need no parser. Each `;`-separated
 * SQL statement becomes one statement whose type is its first word; text containing
 * `syntax error` does not parse. Shell lines split on whitespace into a single command.
 */
export const fakeFactExtractors: FactExtractors = {
  sql(raw, dialect) {
    if (/syntax error/i.test(raw)) {
      return {
        raw,
        dialect,
        parsed: false,
        error: { message: 'syntax error at or near "error"', position: 7 },
        statements: [],
      };
    }
    const statements = raw
      .split(';')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((text): StatementFacts => {
        const type = (/^\w+/.exec(text)?.[0] ?? 'unknown').toLowerCase();
        const table = /\b(?:from|into|update|table)\s+([\w.]+)/i.exec(text)?.[1]?.toLowerCase();
        const normalized = text.replace(/'[^']*'|\b\d+\b/g, '?').toLowerCase();
        return {
          type,
          category: type === 'select' ? 'read' : type === 'drop' ? 'ddl' : 'write',
          tables: table ? [table] : [],
          reads: type === 'select' && table ? [table] : [],
          writes: type !== 'select' && table ? [table] : [],
          columns: [],
          read_columns: [],
          returned_columns: [],
          has_where: /\bwhere\b/i.test(text),
          functions: [],
          operators: [],
          dynamic: false,
          opaque: false,
          inner: [],
          fingerprint: createHash('sha256').update(normalized).digest('hex').slice(0, 16),
          text,
        };
      });
    return { raw, dialect, parsed: true, statements };
  },
  shell(raw): ShellFacts {
    const words = raw.trim().split(/\s+/).filter(Boolean);
    const [path = '', ...args] = words;
    const command: CommandFacts = {
      program: path.split('/').pop() ?? '',
      path,
      args,
      flags: args.filter((a) => a.startsWith('-')),
      assignments: {},
      redirects: [],
      via: [],
      piped: false,
      in_substitution: false,
      background: false,
      dynamic: false,
    };
    return {
      raw,
      parsed: true,
      commands: words.length > 0 ? [command] : [],
      substitutions: false,
      redirects: [],
      interpreter_pipes: [],
      opaque: [],
    };
  },
};
