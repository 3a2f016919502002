import { beforeAll, describe, expect, it } from 'vitest';
import { loadShellParser } from './bash-parser.js';
import { extractShellFactsSync, MAX_INPUT_LENGTH } from './shell-facts.js';

beforeAll(async () => {
  await loadShellParser();
});

describe('extractShellFactsSync', () => {
  it('gives wrapped commands the redirections of their wrapper', () => {
    const facts = extractShellFactsSync('sudo sh -c "cat /dev/zero" > /dev/sda');
    const cat = facts.commands.find((c) => c.program === 'cat');
    expect(cat?.redirects).toEqual([{ op: '>', target: '/dev/sda' }]);
    expect(facts.redirects).toEqual([{ op: '>', target: '/dev/sda' }]);
  });

  it('lists a heredoc before the redirections written after its operator', () => {
    const facts = extractShellFactsSync('cat <<EOF 2>err >out\nx\nEOF');
    expect(facts.redirects.map((r) => r.op)).toEqual(['<<', '>', '>']);
  });

  it("reads tree-sitter-bash's split `<>` as one operator, not a syntax error", () => {
    const facts = extractShellFactsSync('exec 5<> /dev/tcp/example.com/80');
    expect(facts.parsed).toBe(true);
    expect(facts.redirects).toEqual([{ op: '<>', fd: 5, target: '/dev/tcp/example.com/80' }]);
  });

  it('clips long opaque texts', () => {
    const code = 'x'.repeat(5000);
    const facts = extractShellFactsSync(`python3 -c ${code}`);
    expect(facts.commands[0]?.inline_code).toBe(code);
    expect(facts.opaque[0]?.text.length).toBeLessThanOrEqual(1025);
  });

  it('refuses input over the size limit, failing closed', () => {
    const facts = extractShellFactsSync('a'.repeat(MAX_INPUT_LENGTH + 1));
    expect(facts.parsed).toBe(false);
    expect(facts.commands).toEqual([]);
    expect(facts.opaque).toEqual([{ reason: 'parse_error', text: facts.error }]);
  });

  it('reports each opaque finding once', () => {
    const facts = extractShellFactsSync('$X; $X');
    expect(facts.opaque).toEqual([{ reason: 'dynamic_program', text: '$X' }]);
    expect(facts.commands).toHaveLength(2);
  });

  it('marks the stage after a heredoc statement as piped from it', () => {
    const facts = extractShellFactsSync('cat <<EOF | bash -s\necho hi\nEOF');
    expect(facts.commands.find((c) => c.program === 'bash')).toMatchObject({
      piped: true,
      piped_from: 'cat',
    });
    expect(facts.commands.find((c) => c.program === 'cat')?.redirects).toEqual([{ op: '<<', target: 'EOF' }]);
  });

  it('does not treat a function name as recursive outside its body', () => {
    const facts = extractShellFactsSync('f() { g; }; f');
    expect(facts.commands.every((c) => c.recursive === undefined)).toBe(true);
  });

  it('regression: an empty descriptor left by error recovery gave fd NaN', () => {
    const facts = extractShellFactsSync('00>');
    expect(facts.parsed).toBe(false);
    expect(JSON.parse(JSON.stringify(facts))).toEqual(facts);
  });
});
