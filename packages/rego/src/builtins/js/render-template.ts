/**
 * strings.render_template: OPA renders the template with Go's text/template, option
 * missingkey=error, over the vars decoded from JSON. We run our own implementation of the
 * part of text/template such templates use (see go-template-*.ts); whatever falls outside it
 * fails with a builtin error naming what is unsupported, never with different output.
 */
import { builtinError } from '../builtin-error.js';
import { isObject, type Json, object, str } from './args.js';
import { executeTemplate } from './go-template-exec.js';
import { GoTemplateError, parseTemplate } from './go-template-parser.js';
import { fromJson } from './go-template-values.js';

const NAME = 'strings.render_template';

const GRAPHIC = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/**
 * The escape letter strconv.Quote would write for a rune that JSON cannot decode, if any:
 * `\a`, `\v`, `\xNN` for the other control bytes and DEL, `\UNNNNNNNN` for non-printable
 * runes outside the BMP.
 */
function nonJsonEscape(s: string): string | undefined {
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (cp === 0x07) return 'a';
    if (cp === 0x0b) return 'v';
    if ((cp < 0x20 && ![0x08, 0x09, 0x0a, 0x0c, 0x0d].includes(cp)) || cp === 0x7f) return 'x';
    if (cp > 0xffff && !GRAPHIC.test(c)) return 'U';
  }
  return undefined;
}

/**
 * OPA hands the vars to Go by printing them as Rego text (strings through strconv.Quote)
 * and decoding that as JSON, so a string Go quotes with a non-JSON escape fails the call
 * before anything is rendered.
 */
function assertDecodable(v: Json): void {
  const check = (s: string): void => {
    const e = nonJsonEscape(s);
    if (e !== undefined) throw builtinError(NAME, `invalid character '${e}' in string escape code`);
  };
  if (typeof v === 'string') check(v);
  else if (Array.isArray(v)) v.forEach(assertDecodable);
  else if (isObject(v)) {
    for (const k of Object.keys(v)) {
      check(k);
      assertDecodable(v[k]!);
    }
  }
}

export function renderTemplate(template: unknown, vars: unknown): string {
  const src = str(NAME, template, 1);
  const obj = object(NAME, vars, 2);
  assertDecodable(obj);
  const data = fromJson(obj);
  try {
    return executeTemplate(src, parseTemplate(src), data);
  } catch (err) {
    if (err instanceof GoTemplateError) throw builtinError(NAME, err.message, err);
    throw err;
  }
}
