/**
 * A deep copy of an AST without its `loc` fields, for comparing trees parsed from different text
 * (a module and its formatted form, say) where only positions may differ.
 */
export function stripLocations<T>(node: T): unknown {
  if (Array.isArray(node)) return node.map(stripLocations);
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key !== 'loc') out[key] = stripLocations(value);
    }
    return out;
  }
  return node;
}
