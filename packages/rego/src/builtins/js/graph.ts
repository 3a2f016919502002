/**
 * `graph.reachable` and `graph.reachable_paths`, as OPA's topdown/reachable.go computes them.
 * A graph is an object from node to its neighbours (an array or a set, which arrive here as
 * arrays); nodes missing from the graph are not reached. Both results are sets.
 */
import type { JsBuiltin } from '../builtin-types.js';
import { type Json, type JsonObject, typeError } from './args.js';
import { toSetArray } from './value.js';

/** A value's identity for JS maps and sets: JSON text with object keys sorted. */
function canonicalKey(v: Json): string {
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalKey).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalKey(v[k] as Json)}`)
    .join(',')}}`;
}

function graphOf(name: string, v: unknown): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw typeError(name, 1, 'object', v);
  return v as JsonObject;
}

function initialOf(name: string, v: unknown): Json[] {
  if (!Array.isArray(v)) throw typeError(name, 2, 'one of {array, set}', v);
  return v as Json[];
}

/** The neighbours of a node, or undefined when the node is not in the graph. */
function edgesOf(graph: JsonObject, node: Json): Json[] | undefined {
  if (typeof node !== 'string' || !Object.hasOwn(graph, node)) return undefined;
  const edges = graph[node];
  return Array.isArray(edges) ? edges : [];
}

function reachable(g: unknown, initial: unknown): Json[] {
  const graph = graphOf('graph.reachable', g);
  const queue = [...initialOf('graph.reachable', initial)];
  const reached = new Map<string, Json>();
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i] as Json;
    const edges = edgesOf(graph, node);
    if (edges === undefined) continue;
    for (const n of edges) if (!reached.has(canonicalKey(n))) queue.push(n);
    reached.set(canonicalKey(node), node);
  }
  return toSetArray(reached.values());
}

function reachablePaths(g: unknown, initial: unknown): Json[] {
  const graph = graphOf('graph.reachable_paths', g);
  const result: Json[] = [];
  // `reached` is shared by the whole walk below one neighbour of a start node (OPA's
  // conformance cases for issue 1022 expect a node reached on one branch to end the others).
  const build = (root: Json, path: Json[], reached: Set<string>): void => {
    const edges = edgesOf(graph, root);
    if (edges === undefined) {
      result.push(path);
      return;
    }
    const here = [...path, root];
    if (edges.length === 0) {
      result.push(here);
      return;
    }
    reached.add(canonicalKey(root));
    for (const n of edges) {
      if (reached.has(canonicalKey(n))) result.push(here);
      else build(n, here, reached);
    }
  };
  for (const node of initialOf('graph.reachable_paths', initial)) {
    const edges = edgesOf(graph, node);
    if (edges === undefined) continue;
    if (edges.length === 0) result.push([node]);
    for (const n of edges) build(n, [node], new Set([canonicalKey(node)]));
  }
  return toSetArray(result);
}

export const GRAPH_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['graph.reachable', reachable],
  ['graph.reachable_paths', reachablePaths],
]);
