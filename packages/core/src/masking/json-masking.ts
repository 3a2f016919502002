/**
 * Masking a JSON document: path rules (jsonpath-plus, script evaluation off) pick nodes to
 * mask whole, then every remaining string leaf goes through the text masker (detectors and
 * patterns). The input is never modified; the result is a copy.
 *
 * A path that selects an object, array, number or boolean replaces that node with the
 * strategy's value for it (see strategies.ts: `null` stays null, the others give a string).
 * When paths select a node and one of its descendants, the ancestor is masked and the
 * descendant goes with it. Paths match member names as they are; then the names themselves
 * go through the text masker (a map keyed by e-mail address), and a masked name that meets a
 * name the object already has is told apart by a suffix (` (2)`), so no member is lost.
 *
 * A value that is not plain JSON (a class instance, an object with `toJSON`, a Date, a Map)
 * is masked as JSON.stringify will write it: its fields would otherwise go out unseen.
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

/** An array or plain object that JSON.stringify writes member by member (no `toJSON` of its own). */
function isContainer(value: unknown): value is Container {
  if (typeof value !== 'object' || value === null) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * What JSON.stringify writes for an object that is not a plain container, read back as plain
 * JSON; the object itself when it cannot be written (a BigInt, a cycle: serialising the
 * result will fail the same way, so nothing goes out).
 */
function jsonForm(value: object): unknown {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? value : JSON.parse(text);
  } catch {
    return value;
  }
}

const isObjectLike = (value: unknown): value is object => typeof value === 'object' && value !== null;

function setOwn(target: Container, key: string | number, value: unknown): void {
  if (Array.isArray(target)) target[key as number] = value;
  // Assigning `__proto__` would change the prototype instead of adding a key.
  else if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key as string] = value;
}

/** A JSON Pointer's steps, unescaped (RFC 6901). */
export const pointerSteps = (pointer: string): string[] =>
  pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));

/** One step of a JSON Pointer (RFC 6901): `~` and `/` escaped. */
export const pointerToken = (key: string | number) => String(key).replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Where each container of a document sits, for the JSON Pointers of the nodes paths pick:
 * each container is linked to its parent once, and a pointer is spelled only when asked for.
 */
export class ContainerPaths {
  readonly #links = new WeakMap<object, { parent: object | null; key: string | number }>();
  readonly #spelled = new WeakMap<object, string>();

  link(container: object, parent: object | null, key: string | number): void {
    this.#links.set(container, { parent, key });
  }

  /** The container's JSON Pointer, or undefined for a value that is not one of its containers. */
  pointerOf(container: unknown): string | undefined {
    if (typeof container !== 'object' || container === null) return undefined;
    const known = this.#spelled.get(container);
    if (known !== undefined) return known;
    // Up to the nearest spelled ancestor, then back down: iterative, for deep documents.
    const chain: object[] = [];
    let at: object | null = container;
    let base = '';
    while (at !== null) {
      const spelled = this.#spelled.get(at);
      if (spelled !== undefined) {
        base = spelled;
        break;
      }
      if (!this.#links.has(at)) return undefined;
      chain.push(at);
      at = (this.#links.get(at) as { parent: object | null }).parent;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const node = chain[i] as object;
      const link = this.#links.get(node) as { parent: object | null; key: string | number };
      base = link.parent === null ? '' : `${base}/${pointerToken(link.key)}`;
      this.#spelled.set(node, base);
    }
    return base;
  }
}

/**
 * A deep copy of the plain-JSON parts of `value` (other objects are shared), and, when paths
 * will be evaluated on it (`linked`), where its containers are: a value with detectors only
 * (a JSON cell of every row, through maskRow) pays for no links.
 */
function cloneJson(value: unknown, linked: boolean): { root: unknown; paths: ContainerPaths } {
  const paths = new ContainerPaths();
  if (!isContainer(value)) return { root: value, paths };
  const root: Container = Array.isArray(value) ? [] : {};
  if (linked) paths.link(root, null, '');
  const stack: [Container, Container][] = [[value, root]];
  for (let pair = stack.pop(); pair; pair = stack.pop()) {
    const [from, to] = pair;
    for (const key of Object.keys(from)) {
      let child = (from as Record<string, unknown>)[key];
      if (isObjectLike(child) && !isContainer(child)) child = jsonForm(child);
      if (isContainer(child)) {
        const copy: Container = Array.isArray(child) ? [] : {};
        setOwn(to, Array.isArray(to) ? Number(key) : key, copy);
        if (linked) paths.link(copy, to, key);
        stack.push([child, copy]);
      } else {
        setOwn(to, Array.isArray(to) ? Number(key) : key, child);
      }
    }
  }
  return { root, paths };
}

export interface Selected<R> {
  pointer: string;
  parent: Container | null;
  key: string | number | null;
  value: unknown;
  rule: R;
}

/**
 * The nodes the path rules pick, ancestors first: a node is masked once, by the first rule
 * that reaches it or one of its ancestors, so those under a picked node are left out.
 */
export function selectJsonTargets<R>(
  root: unknown,
  targets: readonly JsonPathTarget<R>[],
  paths: ContainerPaths,
): Selected<R>[] {
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
      if (typeof r.parent === 'string') {
        // A pick inside a string (`$..card[0]` where `card` is a string, not the array the
        // rule expected) picks a character; the whole string is masked rather than none of it.
        const whole = atPointer(root, r.pointer.slice(0, r.pointer.lastIndexOf('/')));
        if (whole) selected.push({ ...whole, rule: target.rule });
        continue;
      }
      // The pointer from the node's parent, not jsonpath-plus's own: it spells a member
      // named `~` as its parent (`~` is an operator in its paths).
      let pointer = '';
      if (r.parent !== null) {
        const parent = paths.pointerOf(r.parent);
        if (parent === undefined || r.parentProperty === null) continue;
        pointer = `${parent}/${pointerToken(r.parentProperty)}`;
      }
      selected.push({
        pointer,
        parent: r.parent,
        key: r.parentProperty,
        value: r.value,
        rule: target.rule,
      });
    }
  }
  // Ancestors first (shorter pointers), then rule order (the sort is stable).
  selected.sort((a, b) => depth(a.pointer) - depth(b.pointer));
  const done = new Set<string>();
  return selected.filter((s) => {
    if (coveredBy(s.pointer, done)) return false;
    done.add(s.pointer);
    return true;
  });
}

/** The node at a JSON Pointer, with its parent and key; undefined when there is none. */
function atPointer(
  root: unknown,
  pointer: string,
): { pointer: string; parent: Container | null; key: string | number | null; value: unknown } | undefined {
  if (pointer === '') return { pointer, parent: null, key: null, value: root };
  let parent: Container | null = null;
  let key: string | number | null = null;
  let value = root;
  for (const name of pointerSteps(pointer)) {
    if (!isContainer(value)) return undefined;
    if (!Object.hasOwn(value, name)) return undefined;
    parent = value;
    key = Array.isArray(value) ? Number(name) : name;
    value = (value as Record<string, unknown>)[name];
  }
  return { pointer, parent, key, value };
}

/**
 * `doc` masked, as a copy. With `names` (the default), member names are masked too; the text
 * masker's fallback for a document that repeats a name leaves them to its own pass.
 */
export function maskJsonDocument<R>(
  doc: unknown,
  targets: readonly JsonPathTarget<R>[],
  callbacks: JsonMaskCallbacks<R>,
  names = true,
): unknown {
  if (doc === undefined) return undefined;
  const { root, paths } = cloneJson(
    isObjectLike(doc) && !isContainer(doc) ? jsonForm(doc) : doc,
    targets.length > 0,
  );
  const maskedSlots = new WeakMap<object, Set<string>>();

  if (targets.length > 0) {
    for (const s of selectJsonTargets(root, targets, paths)) {
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
    if (names && !Array.isArray(node)) maskNames(node, callbacks.maskString);
  }
  return root;
}

/**
 * Renames the members whose names the masker changes, keeping their order. A name left as it
 * is keeps its place; a masked name already taken (two addresses masked alike, or a masked
 * name equal to another member's) gets the first free ` (n)` suffix.
 */
function maskNames(node: Record<string, unknown>, maskString: (text: string) => string): void {
  const keys = Object.keys(node);
  let renamed: string[] | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const masked = maskString(key);
    if (masked === key) continue;
    renamed ??= keys.slice();
    renamed[i] = masked;
  }
  if (renamed === undefined) return;
  const names = renamed;
  const taken = new Set(keys.filter((key, i) => names[i] === key));
  const values = keys.map((key) => node[key]);
  for (const key of keys) delete node[key];
  keys.forEach((key, i) => {
    let name = names[i] as string;
    if (name !== key) {
      if (taken.has(name)) {
        let n = 2;
        while (taken.has(`${name} (${n})`)) n++;
        name = `${name} (${n})`;
      }
      taken.add(name);
    }
    setOwn(node, name, values[i]);
  });
}

function depth(pointer: string): number {
  let n = 0;
  for (let i = 0; i < pointer.length; i++) if (pointer[i] === '/') n++;
  return n;
}

/** Whether `pointer` or one of its ancestors is in `done` (JSON Pointers, as jsonpath-plus gives them). */
export function coveredBy(pointer: string, done: ReadonlySet<string>): boolean {
  if (done.has('')) return true;
  for (let i = pointer.indexOf('/', 1); i !== -1; i = pointer.indexOf('/', i + 1)) {
    if (done.has(pointer.slice(0, i))) return true;
  }
  return done.has(pointer);
}
