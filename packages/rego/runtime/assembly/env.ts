// Host imports. AssemblyScript names an import's module after the declaring file, so this file
// must stay `env.ts`: the loader provides these as `env.opa_abort`, `env.opa_builtin1`, ….
// Declared without decorators so the sources remain plain TypeScript syntax for tooling.

/** Throws the NUL-terminated message at `addr` in the host; never returns. */
export declare function opa_abort(addr: usize): void;
/** Logs the NUL-terminated message at `addr`. */
export declare function opa_println(addr: usize): void;
/** Host builtins: `id` from the module's `builtins()` map, `ctx` reserved (0), args are values. */
export declare function opa_builtin0(id: i32, ctx: usize): usize;
export declare function opa_builtin1(id: i32, ctx: usize, a: usize): usize;
export declare function opa_builtin2(id: i32, ctx: usize, a: usize, b: usize): usize;
export declare function opa_builtin3(id: i32, ctx: usize, a: usize, b: usize, c: usize): usize;
export declare function opa_builtin4(id: i32, ctx: usize, a: usize, b: usize, c: usize, d: usize): usize;

// Messages are narrowed into a static buffer, not the heap: an abort may be reporting that
// the heap itself is exhausted.
const MESSAGE_CAP: i32 = 255;
const messageBuffer: usize = memory.data(MESSAGE_CAP + 1);

function narrow(text: string, at: i32): i32 {
  // AssemblyScript string literals are static UTF-16 with the byte length stored just before.
  const ptr = changetype<usize>(text);
  const units = <i32>(load<u32>(ptr - 4) >> 1);
  let i = 0;
  while (i < units && at < MESSAGE_CAP) {
    const unit = load<u16>(ptr + ((<usize>i) << 1));
    store<u8>(messageBuffer + <usize>at, unit < 0x80 ? <u8>unit : 0x3f);
    i++;
    at++;
  }
  return at;
}

/** Aborts evaluation with a message the host turns into an exception. */
export function fail(message: string): void {
  const end = narrow(message, 0);
  store<u8>(messageBuffer + <usize>end, 0);
  opa_abort(messageBuffer);
  unreachable();
}

/** Aborts with the concatenation of up to eight static strings (no heap string building). */
export function failParts(
  a: string,
  b: string,
  c: string,
  d: string,
  e: string,
  f: string,
  g: string,
  h: string,
): void {
  let at = narrow(a, 0);
  at = narrow(b, at);
  at = narrow(c, at);
  at = narrow(d, at);
  at = narrow(e, at);
  at = narrow(f, at);
  at = narrow(g, at);
  at = narrow(h, at);
  store<u8>(messageBuffer + <usize>at, 0);
  opa_abort(messageBuffer);
  unreachable();
}

/** Replaces AssemblyScript's `env.abort`, which the OPA loader does not provide. */
export function runtimeAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let at = narrow('runtime error: ', 0);
  if (message !== null) at = narrow(message, at);
  if (fileName !== null) {
    at = narrow(' at ', at);
    at = narrow(fileName, at);
  }
  store<u8>(messageBuffer + <usize>at, 0);
  opa_abort(messageBuffer);
  unreachable();
}
