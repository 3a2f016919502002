/**
 * The minimum page count a module declares for its imported memory. The opa-wasm loader
 * creates 5 pages unless told otherwise; a module with more static data needs a larger one.
 */

function leb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let result = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    const b = bytes[i++] ?? 0;
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0 || i >= bytes.length) return [result, i];
  }
}

/** The imported memory's minimum pages, or undefined if the module imports none. */
export function importedMemoryPages(wasm: Uint8Array): number | undefined {
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at++] ?? 0;
    const [size, start] = leb(wasm, at);
    at = start + size;
    if (id !== 2) continue;
    let p = start;
    let count: number;
    [count, p] = leb(wasm, p);
    for (let i = 0; i < count; i++) {
      let length: number;
      [length, p] = leb(wasm, p);
      p += length;
      [length, p] = leb(wasm, p);
      p += length;
      const kind = wasm[p++];
      if (kind === 0) [, p] = leb(wasm, p);
      else if (kind === 1) {
        p++;
        const flags = wasm[p++] ?? 0;
        [, p] = leb(wasm, p);
        if (flags & 1) [, p] = leb(wasm, p);
      } else if (kind === 2) {
        const flags = wasm[p++] ?? 0;
        const [min] = leb(wasm, p);
        void flags;
        return min;
      } else if (kind === 3) p += 2;
      else return undefined;
    }
    return undefined;
  }
  return undefined;
}
