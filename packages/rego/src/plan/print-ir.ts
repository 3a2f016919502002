/**
 * A readable text form of a policy, in the spirit of `opa build --ir`: statics, then each plan
 * and function as indented statements, operands written `local<n>`, `"string"`, `true`.
 */
import { formatConst } from './const-value.js';
import type { Block, Operand, Policy, Stmt } from './ir.js';

export function printIr(policy: Policy): string {
  const lines: string[] = [];
  const { strings, builtinFuncs, files } = policy.static;
  const op = (o: Operand): string =>
    o.type === 'local'
      ? `local<${o.value}>`
      : o.type === 'bool'
        ? String(o.value)
        : JSON.stringify(strings[o.value] ?? '');
  const stmt = (s: Stmt, depth: number): void => {
    const pad = '  '.repeat(depth);
    const fields: string[] = [];
    const nested: [string, Block][] = [];
    for (const [k, v] of Object.entries(s)) {
      if (k === 'type') continue;
      if (k === 'block') nested.push(['block', v as Block]);
      else if (k === 'blocks') for (const b of v as Block[]) nested.push(['block', b]);
      else if (k === 'args')
        fields.push(
          `args=(${(v as (Operand | number)[]).map((a) => (typeof a === 'number' ? `local<${a}>` : op(a))).join(', ')})`,
        );
      else if (k === 'path' && s.type === 'WithStmt')
        fields.push(`path=[${(v as number[]).map((i) => JSON.stringify(strings[i] ?? '')).join(', ')}]`);
      else if (k === 'value' && s.type === 'MakeConstStmt') fields.push(`value=${formatConst(s.value)}`);
      else if (k === 'index' && s.type === 'MakeNumberRefStmt')
        fields.push(`value=${strings[v as number] ?? ''}`);
      else if (typeof v === 'object' && v !== null && 'type' in v) fields.push(`${k}=${op(v as Operand)}`);
      else if (
        ['source', 'target', 'result', 'key', 'value', 'array', 'object', 'set', 'local', 'a', 'b'].includes(
          k,
        ) &&
        typeof v === 'number'
      )
        fields.push(`${k}=local<${v}>`);
      else fields.push(`${k}=${typeof v === 'bigint' ? v.toString() : JSON.stringify(v)}`);
    }
    lines.push(`${pad}${s.type}${fields.length > 0 ? ` {${fields.join(', ')}}` : ''}`);
    for (const [, b] of nested) block(b, depth + 1);
  };
  const block = (b: Block, depth: number): void => {
    lines.push(`${'  '.repeat(depth)}Block`);
    for (const s of b.stmts) stmt(s, depth + 1);
  };
  lines.push('Static');
  for (const [i, s] of strings.entries()) lines.push(`  String ${i} ${JSON.stringify(s)}`);
  for (const b of builtinFuncs) lines.push(`  BuiltinFunc ${b.name}/${b.arity}`);
  for (const f of files) lines.push(`  File ${JSON.stringify(f)}`);
  for (const p of policy.plans) {
    lines.push(`Plan ${p.name}`);
    for (const b of p.blocks) block(b, 1);
  }
  for (const f of policy.funcs) {
    lines.push(`Func ${f.name} (${f.params.map((l) => `local<${l}>`).join(', ')}) -> local<${f.ret}>`);
    for (const entry of f.index ?? [])
      lines.push(
        `  Index ${entry.guard} -> local<${entry.flag}> guards rules [${entry.rules.join(', ')}] of ${entry.of}`,
      );
    for (const b of f.blocks) block(b, 1);
  }
  return `${lines.join('\n')}\n`;
}
