/**
 * The custom section that carries what a compiled policy may read of `input`
 * (compile/input-paths) inside its module, so that it travels with the bytes: through the
 * compile cache, a bundle, or a file an embedder loads later. Modules built elsewhere (by
 * `opa build`) have none, and their readers must assume the whole input is read.
 *
 * Custom sections: https://webassembly.github.io/spec/core/binary/modules.html#custom-section
 */

export const INPUT_PATHS_SECTION = 'portcullis.input_paths';

export function encodeInputPaths(paths: readonly (readonly string[])[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(paths));
}

/**
 * The input paths a module's section names, or undefined when it has no such section or the
 * section is not a list of lists of strings (a reader then assumes everything is read).
 */
export function readInputPaths(wasm: Uint8Array): string[][] | undefined {
  const section = customSection(wasm, INPUT_PATHS_SECTION);
  if (section === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(section));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  for (const path of parsed)
    if (!Array.isArray(path) || !path.every((k) => typeof k === 'string')) return undefined;
  return parsed as string[][];
}

/** The payload of the first custom section called `name`; undefined if none or malformed. */
function customSection(wasm: Uint8Array, name: string): Uint8Array | undefined {
  // Magic and version, then sections: an id byte, a LEB128 size, the contents.
  let at = 8;
  if (wasm.length < at) return undefined;
  const wanted = new TextEncoder().encode(name);
  while (at < wasm.length) {
    const id = wasm[at] as number;
    const size = leb128(wasm, at + 1);
    if (size === undefined) return undefined;
    const start = size.next;
    const end = start + size.value;
    if (end > wasm.length) return undefined;
    if (id === 0) {
      const length = leb128(wasm, start);
      if (length === undefined || length.next + length.value > end) return undefined;
      const nameBytes = wasm.subarray(length.next, length.next + length.value);
      if (nameBytes.length === wanted.length && nameBytes.every((b, i) => b === wanted[i]))
        return wasm.subarray(length.next + length.value, end);
    }
    at = end;
  }
  return undefined;
}

/** An unsigned LEB128 of at most 32 bits at `at`, and where the next field starts. */
function leb128(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const b = bytes[at + i];
    if (b === undefined) return undefined;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return { value, next: at + i + 1 };
  }
  return undefined;
}
