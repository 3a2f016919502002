/**
 * Masking JSON text where it stands: the same nodes and strings as maskJsonDocument are
 * masked, and everything else is the input's own characters. Parsing a body and writing it
 * out again changed what it did not mask: an integer past 2^53 (a 64-bit id) came out as
 * another number, `1.10` as `1.1`, `1e3` as `1000`, `\u002B` as `+`, whitespace and the order
 * of keys as JavaScript keeps them. And of two members with one name, a JavaScript object
 * keeps the last, so a value under the first name went out as the server wrote it, unmasked,
 * to any client whose parser keeps the first: here the detectors scan every value a name
 * carries, and the names themselves (a map keyed by e-mail address; two names masked alike
 * are both kept, as written). JSONPath masks are evaluated on the document JavaScript keeps, where the other
 * value is not, so with them a document that writes a name twice is written out as that
 * document, masked (as every document was before): none of the other value goes out.
 */

import {
  ContainerPaths,
  type JsonMaskCallbacks,
  type JsonPathTarget,
  maskJsonDocument,
  pointerSteps,
  selectJsonTargets,
} from './json-masking.js';

/**
 * The nodes paths picked, as a tree of pointer steps (names and indexes as text): a step
 * with `replacement` is a picked node, written in place of every value at that place.
 */
interface Step {
  children?: Map<string, Step>;
  replacement?: string;
}

interface Frame {
  object: boolean;
  start: number;
  /** Next array index. */
  index: number;
  /** The name whose value comes next (objects). */
  key: string;
  /** Where this container is in the tree of picks (undefined: no pick lies below it). */
  step: Step | undefined;
  /** Its replacement, when the container itself was picked. */
  replacement: string | undefined;
  /** The names seen in this object, when paths apply (a name written twice is refused). */
  names: Set<string> | undefined;
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Links each container of a parsed document to its parent, for the pointers of picks. */
function containerPaths(doc: unknown): ContainerPaths {
  const paths = new ContainerPaths();
  if (typeof doc !== 'object' || doc === null) return paths;
  paths.link(doc, null, '');
  const stack: object[] = [doc];
  for (let node = stack.pop(); node; node = stack.pop()) {
    for (const key of Object.keys(node)) {
      const child = (node as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) {
        paths.link(child, node, key);
        stack.push(child);
      }
    }
  }
  return paths;
}

/**
 * `text` with the nodes the path rules pick replaced by their masked value, and the strings
 * outside them, member names included (an e-mail address can be a key), by what the text
 * masker makes of them where it changes them. With `numbers`,
 * numbers outside them are scanned too, as their text (a card number written as a number),
 * and one the masker changes becomes a string. Throws the SyntaxError of JSON.parse when
 * `text` is not JSON.
 */
export function maskJsonText<R>(
  text: string,
  targets: readonly JsonPathTarget<R>[],
  callbacks: JsonMaskCallbacks<R>,
  numbers = false,
): string {
  // JSON.parse says whether it is JSON (the scan reads only valid JSON), and gives the
  // document the paths are evaluated on.
  const doc = JSON.parse(text) as unknown;
  try {
    return maskInPlace(text, doc, targets, callbacks, numbers);
  } catch (err) {
    if (!(err instanceof RepeatedName)) throw err;
    const written = JSON.stringify(maskJsonDocument(doc, targets, callbacks, false));
    // Its string values are masked already; its names (and numbers) are not.
    const valuesDone = { ...callbacks, maskString: (value: string) => value };
    return maskInPlace(written, undefined, [], valuesDone, numbers, callbacks);
  }
}

/**
 * The scan reads only what JSON.parse accepted; should it meet anything else, it stops as on
 * text that is not JSON (callers refuse or scan it whole) rather than loop or guess.
 */
const unreadable = (at: number) => new SyntaxError(`JSON masking could not read the text at ${at}`);

/** Thrown inside the scan when path rules apply and an object writes a name twice. */
class RepeatedName extends Error {}

function maskInPlace<R>(
  text: string,
  doc: unknown,
  targets: readonly JsonPathTarget<R>[],
  callbacks: JsonMaskCallbacks<R>,
  numbers: boolean,
  // Whose maskString reads names and numbers (the second pass over a re-written document
  // masks only those).
  scalarMasker: JsonMaskCallbacks<R> = callbacks,
): string {
  const picks: Step = {};
  if (targets.length > 0) {
    for (const s of selectJsonTargets(doc, targets, containerPaths(doc))) {
      let step = picks;
      for (const name of pointerSteps(s.pointer)) {
        step.children ??= new Map();
        let next = step.children.get(name);
        if (!next) {
          next = {};
          step.children.set(name, next);
        }
        step = next;
      }
      step.replacement = JSON.stringify(callbacks.maskNode(s.value, s.rule)) ?? 'null';
    }
  }

  let out = '';
  let at = 0;
  const replace = (start: number, end: number, by: string) => {
    out += text.slice(at, start) + by;
    at = end;
  };
  const stack: Frame[] = [];
  // Inside a picked container, nothing more is masked: it is replaced whole at its end.
  let pickedDepth = 0;
  let expectName = false;
  /** The pick at the value starting now, and the place of what lies under it. */
  const placeOf = (): Step | undefined => {
    const top = stack[stack.length - 1];
    if (!top) return picks;
    return top.step?.children?.get(top.object ? top.key : String(top.index));
  };
  const valueDone = () => {
    const top = stack[stack.length - 1];
    if (top && !top.object) top.index += 1;
  };
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let end = i + 1;
      let escaped = false;
      for (let ch = text.charCodeAt(end); ch !== 0x22; ch = text.charCodeAt(end)) {
        if (end >= text.length) throw unreadable(i);
        if (ch === 0x5c) {
          escaped = true;
          end += 2;
        } else end += 1;
      }
      end += 1;
      if (expectName) {
        if (pickedDepth === 0) {
          const frame = stack[stack.length - 1] as Frame;
          frame.key = escaped ? (JSON.parse(text.slice(i, end)) as string) : text.slice(i + 1, end - 1);
          if (frame.names) {
            if (frame.names.has(frame.key)) throw new RepeatedName(frame.key);
            frame.names.add(frame.key);
          }
          // Paths matched the name as written (above); what goes out is the name masked.
          const name = scalarMasker.maskString(frame.key);
          if (name !== frame.key) replace(i, end, JSON.stringify(name));
        }
        expectName = false;
      } else if (pickedDepth === 0) {
        const picked = placeOf()?.replacement;
        if (picked !== undefined) replace(i, end, picked);
        else {
          const value = escaped ? (JSON.parse(text.slice(i, end)) as string) : text.slice(i + 1, end - 1);
          const masked = callbacks.maskString(value);
          if (masked !== value) replace(i, end, JSON.stringify(masked));
        }
        valueDone();
      }
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      if (pickedDepth > 0) pickedDepth += 1;
      else {
        const step = placeOf();
        stack.push({
          object: c === 0x7b,
          start: i,
          index: 0,
          key: '',
          step,
          replacement: step?.replacement,
          names: c === 0x7b && targets.length > 0 ? new Set() : undefined,
        });
        if (step?.replacement !== undefined) pickedDepth = 1;
      }
      expectName = c === 0x7b;
      i += 1;
    } else if (c === 0x7d || c === 0x5d) {
      if (pickedDepth > 1) pickedDepth -= 1;
      else {
        const frame = stack.pop() as Frame;
        if (frame.replacement !== undefined) {
          replace(frame.start, i + 1, frame.replacement);
          pickedDepth = 0;
        }
        valueDone();
      }
      expectName = false;
      i += 1;
    } else if (c === 0x2c) {
      expectName = pickedDepth === 0 && stack[stack.length - 1]?.object === true;
      i += 1;
    } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x3a) {
      i += 1;
    } else {
      // A number, or true, false, null.
      let end: number;
      if (c === 0x74 || c === 0x6e) end = i + 4;
      else if (c === 0x66) end = i + 5;
      else {
        NUMBER.lastIndex = i;
        if (NUMBER.exec(text) === null) throw unreadable(i);
        end = NUMBER.lastIndex;
      }
      if (pickedDepth === 0) {
        const picked = placeOf()?.replacement;
        if (picked !== undefined) replace(i, end, picked);
        else if (numbers && c !== 0x74 && c !== 0x66 && c !== 0x6e) {
          const token = text.slice(i, end);
          const masked = scalarMasker.maskString(token);
          if (masked !== token) replace(i, end, JSON.stringify(masked));
        }
        valueDone();
      }
      i = end;
    }
  }
  return at === 0 ? text : out + text.slice(at);
}
