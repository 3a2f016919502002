import { describe, expect, it } from 'vitest';
import { BuiltinError } from '../builtin-error.js';
import { JS_BUILTINS } from './index.js';

const render = (template: unknown, vars: unknown = {}) =>
  JS_BUILTINS.get('strings.render_template')!(template, vars);

/** The builtin error a template raises, checked to be OPA's code and prefix. */
function failure(template: string, vars: unknown = {}): string {
  try {
    render(template, vars);
  } catch (err) {
    expect(err).toBeInstanceOf(BuiltinError);
    expect((err as BuiltinError).code).toBe('eval_builtin_error');
    expect((err as BuiltinError).message).toMatch(/^strings\.render_template: /);
    return (err as BuiltinError).message;
  }
  throw new Error(`rendered instead of failing: ${template}`);
}

describe('strings.render_template: text and actions', () => {
  it('substitutes fields and passes text through', () => {
    expect(render('Hi {{.name}}!', { name: 'ada' })).toBe('Hi ada!');
    expect(render('no actions at all')).toBe('no actions at all');
    expect(render('')).toBe('');
  });

  it('trims white space at trim markers, newlines included', () => {
    expect(render('a \n\t{{- .x -}} \n b', { x: 1 })).toBe('a1b');
    expect(render('a {{- .x}} b', { x: 1 })).toBe('a1 b');
    expect(render('a {{.x -}} b', { x: 1 })).toBe('a 1b');
    // Without a space the minus belongs to a number.
    expect(render('{{-3}}')).toBe('-3');
  });

  it('drops comments, with or without trim markers', () => {
    expect(render('a{{/* note */}}b')).toBe('ab');
    expect(render('a {{- /* note */ -}} b')).toBe('ab');
    expect(failure('{{/* open')).toContain('unclosed comment');
    expect(failure('{{/* c */ }}')).toContain('comment ends before closing delimiter');
  });

  it('follows chains of fields through nested objects', () => {
    expect(render('{{.a.b.c}}', { a: { b: { c: 'deep' } } })).toBe('deep');
    expect(render('{{(index .l 0).name}}', { l: [{ name: 'first' }] })).toBe('first');
  });

  it('fails on a missing key, as missingkey=error makes Go do', () => {
    expect(failure('line\n{{.nope}}', { yes: 1 })).toBe(
      'strings.render_template: template: template:2:2: executing "template" at <.nope>: map has no entry for key "nope"',
    );
    expect(failure('{{.a.b}}', { a: { c: 1 } })).toContain('map has no entry for key "b"');
    expect(failure('{{.a.b}}', { a: null })).toContain('nil pointer evaluating interface {}.b');
    expect(failure('{{.a.b}}', { a: 'str' })).toContain("can't evaluate field b in type string");
  });
});

describe('strings.render_template: printing values as Go does', () => {
  it('prints scalars, nil as <no value>, composites in fmt %v form with sorted keys', () => {
    expect(render('{{.s}} {{.i}} {{.f}} {{.t}} {{.n}}', { s: 'x', i: 2023, f: 1.5, t: true, n: null })).toBe(
      'x 2023 1.5 true <no value>',
    );
    expect(render('{{.}}', { b: [1, 'two', null, { y: false, x: [] }], a: {} })).toBe(
      'map[a:map[] b:[1 two <nil> map[x:[] y:false]]]',
    );
  });

  it('types template literals as Go does: ints, float64s, strings', () => {
    expect(render('{{1}} {{1.0}} {{1e3}} {{0.000001}} {{0x1F}} {{017}} {{0b11}} {{-5}} {{.5}}')).toBe(
      '1 1 1000 1e-06 31 15 3 -5 0.5',
    );
    expect(render('{{"tab\\tquote\\"\\u00e9\\x41\\101"}}|{{`raw \\n`}}')).toBe('tab\tquote"éAA|raw \\n');
    expect(render('{{true}} {{false}}')).toBe('true false');
  });
});

describe('strings.render_template: variables', () => {
  it('binds $ to the vars and declares and assigns variables', () => {
    expect(render('{{$x := .a}}{{$x}}-{{$.a}}', { a: 'v' })).toBe('v-v');
    expect(render('{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}')).toBe('2');
    expect(render('{{with $y := .a}}{{$y}}{{end}}', { a: 'w' })).toBe('w');
  });

  it('scopes declarations to the enclosing control structure', () => {
    expect(failure('{{if true}}{{$x := 1}}{{end}}{{$x}}')).toContain('undefined variable "$x"');
    expect(failure('{{$y = 1}}')).toContain('undefined variable: $y');
  });
});

describe('strings.render_template: control structures', () => {
  it('branches with if, else if and else on Go truth', () => {
    const t = '{{if .a}}A{{else if .b}}B{{else}}C{{end}}';
    expect(render(t, { a: 'x', b: true })).toBe('A');
    expect(render(t, { a: '', b: true })).toBe('B');
    expect(render(t, { a: [], b: {} })).toBe('C');
    expect(render(t, { a: null, b: false })).toBe('C');
    expect(render('{{if 0}}t{{else}}f{{end}}{{if 0.0}}t{{else}}f{{end}}{{if 2}}t{{end}}')).toBe('fft');
  });

  it('treats vars numbers as json.Number, a string to Go, so even 0 is true', () => {
    expect(render('{{if .zero}}true{{end}}', { zero: 0 })).toBe('true');
    expect(render('{{len .n}}', { n: 12345 })).toBe('5');
    expect(render('{{eq .n "7"}}', { n: 7 })).toBe('true');
    expect(failure('{{eq .n 7}}', { n: 7 })).toContain('error calling eq: incompatible types for comparison');
  });

  it('moves dot with with, else with and else', () => {
    const t = '{{with .a}}a={{.}}{{else with .b}}b={{.}}{{else}}none{{end}}';
    expect(render(t, { a: 'x', b: 'y' })).toBe('a=x');
    expect(render(t, { a: '', b: 'y' })).toBe('b=y');
    expect(render(t, { a: '', b: '' })).toBe('none');
  });

  it('ranges over arrays with index and element variables', () => {
    const t = '{{range $i, $v := .l}}{{if $i}}, {{end}}{{$i}}:{{$v}}{{end}}';
    expect(render(t, { l: ['a', 'b', 'c'] })).toBe('0:a, 1:b, 2:c');
    expect(render('{{range .l}}[{{.}}]{{end}}', { l: [1, 'x'] })).toBe('[1][x]');
    expect(render('{{range $v := .l}}{{$v}}{{end}}', { l: ['p', 'q'] })).toBe('pq');
  });

  it('ranges over objects in sorted key order', () => {
    expect(render('{{range $k, $v := .}}{{$k}}={{$v}};{{end}}', { b: 2, a: 1, c: 3 })).toBe('a=1;b=2;c=3;');
  });

  it('runs else for empty and nil collections', () => {
    const t = '{{range .l}}x{{else}}empty{{end}}';
    expect(render(t, { l: [] })).toBe('empty');
    expect(render(t, { l: {} })).toBe('empty');
    expect(render(t, { l: null })).toBe('empty');
    expect(failure(t, { l: 'abc' })).toContain("range can't iterate over abc");
  });

  it('breaks and continues the innermost range', () => {
    const l = { l: ['a', 'b', 'c'], m: [1, 2] };
    expect(render('{{range .l}}{{if eq . "b"}}{{break}}{{end}}{{.}}{{end}}', l)).toBe('a');
    expect(render('{{range .l}}{{if eq . "b"}}{{continue}}{{end}}{{.}}{{end}}', l)).toBe('ac');
    expect(render('{{range $.m}}{{range $.l}}{{break}}{{end}}{{.}}{{end}}', l)).toBe('12');
    expect(failure('{{break}}')).toContain('{{break}} outside {{range}}');
  });
});

describe('strings.render_template: pipelines and functions', () => {
  it('feeds each command its predecessor as the last argument', () => {
    expect(render('{{.a | len | printf "%d chars"}}', { a: 'abcd' })).toBe('4 chars');
    expect(render('{{"x" | printf "%s-%s" "y"}}')).toBe('y-x');
    expect(failure('{{"a" | "b"}}')).toContain('non executable command in pipeline stage 2');
    expect(failure('{{.a 1}}', { a: 1 })).toContain('a is not a method but has arguments');
  });

  it('returns operands from and/or, evaluating only as far as needed', () => {
    expect(render('{{and 1 0 2}}|{{and 1 2}}|{{or 0 "" "x"}}|{{or 0 ""}}')).toBe('0|2|x|');
    // The missing key is never looked up.
    expect(render('{{or .a .missing}}|{{and .z .missing}}', { a: 'set', z: '' })).toBe('set|');
    expect(render('{{not 0}} {{not .l}}', { l: [1] })).toBe('true false');
  });

  it('measures and indexes strings by bytes, arrays by element, maps by key', () => {
    expect(render('{{len .s}} {{len .l}} {{len .m}}', { s: 'héllo', l: [1, 2], m: { a: 1 } })).toBe('6 2 1');
    expect(
      render('{{index .l 1}} {{index .m "k"}} {{index .s 0}} {{index .n 0 1}}', {
        l: ['a', 'b'],
        m: { k: 'v' },
        s: 'A',
        n: [[1, 2]],
      }),
    ).toBe('b v 65 2');
    expect(render('{{index .m "absent"}}', { m: {} })).toBe('<no value>');
    expect(failure('{{index .l 2}}', { l: [1, 2] })).toContain(
      'error calling index: reflect: slice index out of range',
    );
    expect(failure('{{index .l 5}}', { l: [1] })).toContain('index out of range: 5');
    expect(failure('{{index .l "x"}}', { l: [1] })).toContain('cannot index slice/array with type string');
    expect(failure('{{len 3}}')).toContain('len of type int');
  });

  it('prints with print, println and printf', () => {
    expect(render('{{print 1 2 "a" "b" 3 nil}}')).toBe('1 2ab3 <nil>');
    expect(render('{{println "a" 1}}')).toBe('a 1\n');
    expect(
      render('{{printf "%05d|%-4s|%x|%.2f|%v|%t|%q" 42 "ab" 255 3.14159 .f true "q\\""}}', { f: 1.5 }),
    ).toBe('00042|ab  |ff|3.14|1.5|true|"q\\""');
    // fmt's own complaints, as Go writes them.
    expect(render('{{printf "%d %s" .n}}', { n: 5 })).toBe('%!d(json.Number=5) %!s(MISSING)');
    expect(render('{{printf "%d" "x" 1}}')).toBe('%!d(string=x)%!(EXTRA int=1)');
  });

  it('compares as Go does', () => {
    expect(render('{{eq 1 2 1}} {{ne "a" "b"}} {{lt 1 2}} {{le 2 2}} {{gt 1.5 2.5}} {{ge "b" "a"}}')).toBe(
      'true true true true false true',
    );
    expect(render('{{lt .a .b}}', { a: 10, b: 9 })).toBe('true');
    expect(render('{{eq .x nil}}', { x: 'a' })).toBe('false');
    expect(failure('{{lt true false}}')).toContain('error calling lt: invalid type for comparison');
    expect(failure('{{lt 1 1.5}}')).toContain('incompatible types for comparison');
    expect(failure('{{eq 1}}')).toContain('missing argument for comparison');
    expect(failure('{{ne 1}}')).toContain('wrong number of args for ne: want 2 got 1');
  });

  it('escapes for HTML, JavaScript and URL queries', () => {
    expect(render(`{{html "<a href='x'>\\"&\\"</a>"}}`)).toBe(
      '&lt;a href=&#39;x&#39;&gt;&#34;&amp;&#34;&lt;/a&gt;',
    );
    expect(render(`{{js "it's <b> & \\\\ =\\n é"}}`)).toBe(
      "it\\'s \\u003Cb\\u003E \\u0026 \\\\ \\u003D\\u000A é",
    );
    expect(render('{{urlquery "a b&c=d/é~"}}')).toBe('a+b%26c%3Dd%2F%C3%A9~');
    expect(render('{{.x | html}} {{html 1 2}}', { x: null })).toBe('&lt;no value&gt; 1 2');
  });
});

describe('strings.render_template: refusals and errors', () => {
  it('reports parse errors with Go wording', () => {
    expect(failure('{{if .a}}x', { a: 1 })).toBe(
      'strings.render_template: template: template:1: unexpected EOF',
    );
    expect(failure('{{end}}')).toContain('unexpected {{end}}');
    expect(failure('{{if}}{{end}}')).toContain('missing value for if');
    expect(failure('{{nope 1}}')).toContain('function "nope" not defined');
    expect(failure('{{.a')).toContain('unclosed action');
    expect(failure('{{"abc}}')).toContain('unterminated quoted string');
    expect(failure('{{1 , 2}}')).toContain('unexpected "," in operand');
    expect(failure('{{1 + 2}}')).toContain('illegal number syntax: "+"');
  });

  it('refuses what the subset does not implement instead of rendering it differently', () => {
    expect(failure('{{define "x"}}y{{end}}')).toContain('{{define}} is not supported');
    expect(failure('{{template "x"}}')).toContain('{{template}} is not supported');
    expect(failure('{{block "x" .}}y{{end}}')).toContain('{{block}} is not supported');
    expect(failure("{{'a'}}")).toContain('character constants are not supported');
    expect(failure('{{1+2i}}')).toContain('complex numbers are not supported');
    expect(failure('{{1_000}}')).toContain('digit separators in 1_000 are not supported');
    expect(failure('{{"\\xff"}}')).toContain('above \\x7f is not supported');
    expect(failure('{{slice .s 1}}', { s: 'abc' })).toContain('function slice is not supported');
    expect(failure('{{range 3}}{{end}}')).toContain('range over an integer is not supported');
    expect(failure('{{.n.String}}', { n: 1 })).toContain(
      'calling method String of json.Number is not supported',
    );
    expect(failure('{{printf "%v" .l}}', { l: [1] })).toContain('printf of []interface {} is not supported');
    expect(failure('{{printf "%[1]d" 1}}')).toContain('explicit argument indexes');
    expect(failure('{{printf "%#x" 1}}')).toContain('the # flag');
    expect(failure('{{printf "%T" 1}}')).toContain('%T');
    expect(failure('{{printf "%+v" 1}}')).toContain('%+v');
    expect(failure('{{printf "%05s" "a"}}')).toContain('zero padding of a string');
    // Nothing unsupported on a branch never taken stops the rest from rendering.
    expect(render('{{if false}}{{slice .s 1}}{{end}}ok', { s: 'abc' })).toBe('ok');
  });

  it('fails, as OPA does, on vars strings whose Go quoting is not JSON', () => {
    expect(failure('x', { s: 'bell\u0007' })).toBe(
      "strings.render_template: invalid character 'a' in string escape code",
    );
    expect(failure('x', { 'k\u0001': 1 })).toContain("invalid character 'x'");
    expect(render('{{.s}}', { s: 'tab\tnewline\n' })).toBe('tab\tnewline\n');
  });

  it('raises type errors for operands of the wrong type', () => {
    expect(() => render(1, {})).toThrow('strings.render_template: operand 1 must be string but got number');
    expect(() => render('x', [])).toThrow('strings.render_template: operand 2 must be object but got array');
  });
});
