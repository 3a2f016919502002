/**
 * Masking a JSON document: path rules (jsonpath-plus, script evaluation off) pick nodes to
 * mask whole, then every remaining string leaf goes through the text masker (detectors and
 * patterns). The input is never modified; the result is a copy.
 *
 * A path that selects an object, array, number or boolean replaces that node with the
 * strategy's value for it (see strategies.ts: `null` stays null, the others give a string).
 * When paths select a node and one of its descendants, the ancestor is masked and the
 * descendant goes with it. Object keys are not masked (renaming keys could collide).
 *
 * Walks are iterative, so deeply nested input cannot exhaust the stack.
 */

import { JSONPath } from 'jsonpath-plus';

export interface JsonPathTarget<R> {
  path: string;
  rule: R;
}

export interface JsonMaskCallbacks<R> {
  maskNode(value: unknown, rule: R): unknown;
  maskString(text: string): string;
}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  if (Array.isArray(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function setOwn(target: Container, key: string | number, value: unknown): void {
  if (Array.isArray(target)) target[key as number] = value;
  // Assigning `__proto__` would change the prototype instead of adding a key.
  else if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key as string] = value;
}

/** A deep copy of the plain-JSON parts of `value`; other objects are shared. */
function cloneJson(value: unknown): unknown {
  if (!isContainer(value)) return value;
  const root: Container = Array.isArray(value) ? [] : {};
  const stack: [Container, Container][] = [[value, root]];
  for (let pair = stack.pop(); pair; pair = stack.pop()) {
    const [from, to] = pair;
    for (const key of Object.keys(from)) {
      const child = (from as Record<string, unknown>)[key];
      if (isContainer(child)) {
        const copy: Container = Array.isArray(child) ? [] : {};
        setOwn(to, Array.isArray(to) ? Number(key) : key, copy);
        stack.push([child, copy]);
      } else {
        setOwn(to, Array.isArray(to) ? Number(key) : key, child);
      }
    }
  }
  return root;
}

interface Selected<R> {
  pointer: string;
  parent: Container | null;
  key: string | number | null;
  value: unknown;
  rule: R;
}

export function maskJsonDocument<R>(
  doc: unknown,
  targets: readonly JsonPathTarget<R>[],
  callbacks: JsonMaskCallbacks<R>,
): unknown {
  if (doc === undefined) return undefined;
  const root = cloneJson(doc);
  const maskedSlots = new WeakMap<object, Set<string>>();

  if (targets.length > 0) {
    const selected: Selected<R>[] = [];
    for (const target of targets) {
      // jsonpath-plus returns undefined rather than [] for some roots (null).
      const results =
        (JSONPath({
          path: target.path,
          json: root as object,
          resultType: 'all',
          eval: false,
          wrap: true,
        }) as
          | {
              pointer: string;
              parent: Container | null;
              parentProperty: string | number | null;
              value: unknown;
            }[]
          | undefined) ?? [];
      for (const r of results) {
        selected.push({
          pointer: r.pointer,
          parent: r.parent,
          key: r.parentProperty,
          value: r.value,
          rule: target.rule,
        });
      }
    }
    // Ancestors first (shorter pointers), then rule order: a node is masked once, by the
    // first rule that reaches it or one of its ancestors.
    selected.sort((a, b) => depth(a.pointer) - depth(b.pointer));
    const done = new Set<string>();
    for (const s of selected) {
      if (coveredBy(s.pointer, done)) continue;
      done.add(s.pointer);
      const masked = callbacks.maskNode(s.value, s.rule);
      if (s.parent === null || s.key === null) {
        return masked;
      }
      setOwn(s.parent, s.key, masked);
      let slots = maskedSlots.get(s.parent);
      if (!slots) {
        slots = new Set();
        maskedSlots.set(s.parent, slots);
      }
      slots.add(String(s.key));
    }
  }

  if (typeof root === 'string') return callbacks.maskString(root);
  if (!isContainer(root)) return root;
  const stack: Container[] = [root];
  for (let node = stack.pop(); node; node = stack.pop()) {
    const slots = maskedSlots.get(node);
    for (const key of Object.keys(node)) {
      if (slots?.has(key)) continue;
      const child = (node as Record<string, unknown>)[key];
      if (typeof child === 'string')
        setOwn(node, Array.isArray(node) ? Number(key) : key, callbacks.maskString(child));
      else if (isContainer(child)) stack.push(child);
    }
  }
  return root;
}

function depth(pointer: string): number {
  let n = 0;
  for (let i = 0; i < pointer.length; i++) if (pointer[i] === '/') n++;
  return n;
}

function coveredBy(pointer: string, done: ReadonlySet<string>): boolean {
  if (done.has('')) return true;
  for (let i = pointer.indexOf('/', 1); i !== -1; i = pointer.indexOf('/', i + 1)) {
    if (done.has(pointer.slice(0, i))) return true;
  }
  return done.has(pointer);
}
