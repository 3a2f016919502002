/**
 * The WebAssembly backend: links a planned policy (IR) with the value runtime into one module
 * that satisfies the OPA wasm ABI 1.2 as `@open-policy-agent/opa-wasm` loads it. The runtime
 * is read with binaryen; this adds one function per IR Func and Plan, the policy's constants
 * as a data segment above the runtime's static data, and the exports the runtime leaves to
 * the code generator (`builtins`, `entrypoints`, `eval`, `opa_eval`), then optimizes only the
 * added functions (the runtime arrives optimized) and validates.
 */
import binaryen from 'binaryen';
import type { BuiltinSignature } from '../builtins/builtin-types.js';
import { BUILTIN_SIGNATURES } from '../builtins/signatures.js';
import { formatConst } from '../plan/const-value.js';
import type { Func, Policy } from '../plan/ir.js';
import { runtimeWasm } from '../runtime/compile-runtime.js';
import { wasmApi } from '../runtime/wasm-api.js';
import { type ConstantLayout, layoutConstants, policyConstants } from './constants.js';
import { WasmEmitError } from './errors.js';
import { hostAlias } from './host-aliases.js';
import { encodeInputPaths, INPUT_PATHS_SECTION } from './input-paths-section.js';
import { type Callee, FunctionLowering, type LoweringContext } from './lower-function.js';
import { FALLBACK_NATIVES, NATIVE_BUILTINS, NATIVE_FALLBACK, type NativeBuiltin } from './native-builtins.js';
import { exportedFunctions, runtimeLayout } from './runtime-layout.js';
import { StaticData } from './static-data.js';

export interface EmitWasmOptions {
  /** The runtime module to link with; defaults to `runtimeWasm()`. */
  readonly runtime?: Uint8Array;
  /**
   * Builtin signatures by name (default: OPA's, BUILTIN_SIGNATURES). A JS builtin whose
   * result type is a set gets its result (an array after the JSON crossing) turned back
   * into a set.
   */
  readonly signatures?: ReadonlyMap<string, BuiltinSignature>;
  /** Run binaryen's optimizer on the generated functions (default true). */
  readonly optimize?: boolean;
  /**
   * Builtins to publish in `builtins()` under their host alias (see host-aliases.ts), for
   * modules that only our loader will run; default none, so plain opa-wasm hosts work.
   */
  readonly hostAliases?: ReadonlySet<string>;
  /** Builtins to send to JavaScript even when the runtime implements them natively. */
  readonly forceJsBuiltins?: ReadonlySet<string>;
  /** Keep function names in the binary's name section (CPU profiles then name them). */
  readonly debugNames?: boolean;
}

const i32 = binaryen.i32;
/** Compiled patterns kept across evaluations (a few dozen typical ones). */
const REGEX_CACHE_BYTES = 64 * 1024;
/** The planner's function names (`g0.data.pkg.rule`): a call to a missing one is a planner bug, not a builtin. */
const PLANNED_FUNCTION = /^g\d+\.data\./;
const PAGE = 65536;
const FEATURES =
  binaryen.Features.MutableGlobals |
  binaryen.Features.NontrappingFPToInt |
  binaryen.Features.BulkMemory |
  binaryen.Features.BulkMemoryOpt |
  binaryen.Features.SignExt;

/** The builtin name → id map `builtins()` returns: the JS-dispatched builtins, in first-use order. */
export function jsBuiltinIds(policy: Policy, options: EmitWasmOptions = {}): Map<string, number> {
  const ids = new Map<string, number>();
  for (const b of policy.static.builtinFuncs) {
    if (TYPE_TESTS.has(b.name) || b.name === 'type_name') continue;
    const native = NATIVE_BUILTINS.get(b.name);
    if (native !== undefined && native.fallback !== true && !options.forceJsBuiltins?.has(b.name)) continue;
    if (!ids.has(b.name)) ids.set(b.name, ids.size);
  }
  return ids;
}

function funcName(index: number): string {
  return `pcl$func${index}`;
}

function planName(index: number): string {
  return `pcl$plan${index}`;
}

/** Reads the static addresses of null, true and false from a throwaway runtime instance. */
function scalarAddresses(runtime: Uint8Array): { nullAddr: number; trueAddr: number; falseAddr: number } {
  const memory = new wasmApi.Memory({ initial: 2 });
  const noop = () => 0;
  const env: Record<string, unknown> = { memory, opa_abort: noop, opa_println: noop };
  for (let n = 0; n <= 4; n++) env[`opa_builtin${n}`] = noop;
  const { exports } = new wasmApi.Instance(new wasmApi.Module(runtime), { env });
  const nul = exports.opa_null as () => number;
  const bool = exports.opa_boolean as (b: number) => number;
  return { nullAddr: nul(), trueAddr: bool(1), falseAddr: bool(0) };
}

const scalarCache = new WeakMap<Uint8Array, ReturnType<typeof scalarAddresses>>();

/** Compiles a planned policy to a wasm module (bytes) for the OPA wasm ABI 1.2. */
export async function emitWasm(policy: Policy, options: EmitWasmOptions = {}): Promise<Uint8Array> {
  const runtime = options.runtime ?? (await runtimeWasm());
  let scalars = scalarCache.get(runtime);
  if (scalars === undefined) {
    scalars = scalarAddresses(runtime);
    scalarCache.set(runtime, scalars);
  }
  const { heapBase } = runtimeLayout(runtime);
  const constants = layoutConstants(runtime, heapBase, policyConstants(policy));
  const module = binaryen.readBinary(runtime);
  try {
    module.setFeatures(FEATURES);
    return link(module, policy, options, constants, scalars);
  } finally {
    module.dispose();
  }
}

function link(
  module: binaryen.Module,
  policy: Policy,
  options: EmitWasmOptions,
  constants: ConstantLayout,
  scalars: ReturnType<typeof scalarAddresses>,
): Uint8Array {
  const exported = exportedFunctions(module);
  const runtime = (name: string): string => {
    const internal = exported.get(name);
    if (internal === undefined) throw new WasmEmitError(`the runtime does not export ${name}`);
    return internal;
  };
  const data = new StaticData(constants.end);
  const jsIds = jsBuiltinIds(policy, options);
  const arities = new Map(policy.static.builtinFuncs.map((b) => [b.name, b.arity]));
  const funcs = new Map<string, { index: number; func: Func }>();
  policy.funcs.forEach((func, index) => {
    if (funcs.has(func.name)) throw new WasmEmitError(`function ${func.name} is defined twice`);
    funcs.set(func.name, { index, func });
  });
  const toSet = 'pcl$to_set';
  const fallbackHelpers = new Map<string, string>();
  /**
   * `pcl$native$<name>(args)`: the runtime's answer, or the host builtin's when the runtime
   * returns NATIVE_FALLBACK. A function, so each argument is evaluated once.
   */
  const nativeWithFallback = (name: string, native: NativeBuiltin): string => {
    const known = fallbackHelpers.get(name);
    if (known !== undefined) return known;
    const helper = `pcl$native$${name}`;
    fallbackHelpers.set(name, helper);
    let id = jsIds.get(name);
    if (id === undefined) {
      id = jsIds.size;
      jsIds.set(name, id);
    }
    const params = Array.from({ length: native.arity }, (_, i) => module.local.get(i, i32));
    const r = native.arity;
    module.addFunction(
      helper,
      binaryen.createType(params.map(() => i32)),
      i32,
      [i32],
      module.block(
        null,
        [
          module.if(
            module.call(
              runtime('pcl_native_enabled'),
              [module.i32.const(FALLBACK_NATIVES.indexOf(name))],
              i32,
            ),
            module.block(null, [
              module.local.set(r, module.call(runtime(native.export), params, i32)),
              module.if(
                module.i32.ne(module.local.get(r, i32), module.i32.const(NATIVE_FALLBACK)),
                module.return(module.local.get(r, i32)),
              ),
            ]),
          ),
          module.call(
            runtime(`opa_builtin${native.arity}`),
            [
              module.i32.const(id),
              module.i32.const(0),
              ...Array.from({ length: native.arity }, (_, i) => module.local.get(i, i32)),
            ],
            i32,
          ),
        ],
        i32,
      ),
    );
    added.push(helper);
    return helper;
  };
  let needsToSet = false;
  let needsTypeHelpers = false;

  const callee = (name: string): Callee | undefined => {
    const planned = funcs.get(name);
    if (planned !== undefined) {
      return {
        arity: planned.func.params.length,
        call: (args) => module.call(funcName(planned.index), args, i32),
      };
    }
    const typeTest = TYPE_TESTS.get(name);
    if (typeTest !== undefined) {
      needsTypeHelpers = true;
      return { arity: 1, call: (args) => module.call(IS_TYPE, [...args, module.i32.const(typeTest)], i32) };
    }
    if (name === 'type_name') {
      needsTypeHelpers = true;
      return { arity: 1, call: (args) => module.call(TYPE_NAME, args, i32) };
    }
    const native = NATIVE_BUILTINS.get(name);
    if (native?.fallback === true && !options.forceJsBuiltins?.has(name)) {
      const helper = nativeWithFallback(name, native);
      return { arity: native.arity, call: (args) => module.call(helper, args, i32) };
    }
    if (native !== undefined && !options.forceJsBuiltins?.has(name)) {
      const extra = native.extra ?? [];
      return {
        arity: native.arity,
        call: (args) =>
          module.call(runtime(native.export), [...args, ...extra.map((x) => module.i32.const(x))], i32),
      };
    }
    let id = jsIds.get(name);
    if (id === undefined && PLANNED_FUNCTION.test(name)) return undefined;
    if (id === undefined) {
      // Called but not declared in static.builtinFuncs: still a builtin the host may serve.
      id = jsIds.size;
      jsIds.set(name, id);
    }
    const builtinId = id;
    const arity = arities.get(name);
    const resultIsSet = (options.signatures ?? BUILTIN_SIGNATURES).get(name)?.result?.kind === 'set';
    return {
      arity,
      call: (args) => {
        if (args.length > 4) {
          const message = data.text(`builtin ${name}: arity ${args.length} is not supported by the wasm ABI`);
          return module.block(
            null,
            [
              module.call(runtime('opa_abort'), [module.i32.const(message.addr)], binaryen.none),
              module.unreachable(),
            ],
            i32,
          );
        }
        const call = module.call(
          runtime(`opa_builtin${args.length}`),
          [module.i32.const(builtinId), module.i32.const(0), ...args],
          i32,
        );
        if (!resultIsSet) return call;
        needsToSet = true;
        return module.call(toSet, [call], i32);
      },
    };
  };
  const pathFuncs = policy.funcs.flatMap((func, index) =>
    func.path === undefined
      ? []
      : [
          {
            path: func.path,
            callee: {
              arity: func.params.length,
              call: (args: binaryen.ExpressionRef[]) => module.call(funcName(index), args, i32),
            },
          },
        ],
  );
  const memo = memoTable(policy, data);
  const cx: LoweringContext = {
    module,
    data,
    runtime,
    strings: policy.static.strings,
    callee,
    pathFuncs,
    constant: (value) => {
      const addr = constants.addresses.get(formatConst(value));
      if (addr === undefined) throw new WasmEmitError(`constant ${formatConst(value)} was not laid out`);
      return addr;
    },
    ...scalars,
  };

  const added: string[] = [];
  policy.funcs.forEach((func, index) => {
    const lowering = new FunctionLowering(cx, func.params, 0, undefined);
    const body = module.block(
      null,
      [
        ...func.blocks.map((b) => lowering.block(b)),
        module.return(module.local.get(lowering.local(func.ret), i32)),
      ],
      binaryen.none,
    );
    const params = binaryen.createType(func.params.map(() => i32));
    const slot = memo.slots.get(index);
    if (slot === undefined) {
      module.addFunction(funcName(index), params, i32, lowering.varTypes, body);
      added.push(funcName(index));
      return;
    }
    module.addFunction(`${funcName(index)}$body`, params, i32, lowering.varTypes, body);
    addMemoWrapper(module, funcName(index), `${funcName(index)}$body`, slot);
    added.push(`${funcName(index)}$body`, funcName(index));
  });
  policy.plans.forEach((plan, index) => {
    const lowering = new FunctionLowering(cx, [], 1, 0);
    const ctx = () => module.local.get(0, i32);
    const body = module.block(
      null,
      [
        module.local.set(lowering.local(0), module.call(runtime('opa_eval_ctx_get_input'), [ctx()], i32)),
        module.local.set(lowering.local(1), module.call(runtime('opa_eval_ctx_get_data'), [ctx()], i32)),
        ...plan.blocks.map((b) => lowering.block(b)),
      ],
      binaryen.none,
    );
    module.addFunction(planName(index), binaryen.createType([i32]), binaryen.none, lowering.varTypes, body);
    added.push(planName(index));
  });
  if (needsTypeHelpers) {
    addTypeHelpers(module, data, scalars);
    added.push(IS_TYPE, TYPE_NAME);
  }
  if (needsToSet) {
    addToSet(module, toSet, runtime);
    added.push(toSet);
  }

  // builtins() and entrypoints(): objects built at call time from static strings and numbers;
  // the loader calls each once, at load.
  const mapFunction = (name: string, entries: Iterable<[string, number]>) => {
    const obj = 0;
    const body: binaryen.ExpressionRef[] = [
      module.local.set(obj, module.call(runtime('opa_object'), [], i32)),
    ];
    for (const [key, id] of entries) {
      body.push(
        module.call(
          runtime('opa_object_insert'),
          [
            module.local.get(obj, i32),
            module.i32.const(data.string(key)),
            module.i32.const(data.int(BigInt(id))),
          ],
          binaryen.none,
        ),
      );
    }
    body.push(module.local.get(obj, i32));
    module.addFunction(name, binaryen.none, i32, [i32], module.block(null, body, i32));
    module.addFunctionExport(name, name);
    added.push(name);
  };
  mapFunction(
    'builtins',
    [...jsIds].map(([name, id]): [string, number] => [
      options.hostAliases?.has(name) ? hostAlias(name) : name,
      id,
    ]),
  );
  const entrypointNames = new Map<string, number>();
  policy.plans.forEach((plan, index) => {
    if (entrypointNames.has(plan.name)) throw new WasmEmitError(`entrypoint ${plan.name} is planned twice`);
    entrypointNames.set(plan.name, index);
  });
  mapFunction('entrypoints', entrypointNames);

  // eval(ctx): dispatch on the entrypoint id.
  const entry = () => module.call(runtime('opa_eval_ctx_get_entrypoint'), [module.local.get(0, i32)], i32);
  const dispatch: binaryen.ExpressionRef[] = policy.plans.map((_, index) =>
    module.if(
      module.i32.eq(module.local.get(1, i32), module.i32.const(index)),
      module.call(planName(index), [module.local.get(0, i32)], binaryen.none),
    ),
  );
  module.addFunction(
    'eval',
    binaryen.createType([i32]),
    i32,
    [i32],
    module.block(
      null,
      [
        ...(memo.size === 0
          ? []
          : [
              module.memory.fill(
                module.i32.const(memo.base),
                module.i32.const(0),
                module.i32.const(memo.size),
                memoryInternalName(module),
              ),
            ]),
        module.local.set(1, entry()),
        ...dispatch,
        module.i32.const(0),
      ],
      i32,
    ),
  );
  module.addFunctionExport('eval', 'eval');
  added.push('eval');

  // opa_eval: ABI 1.2's single-call path, exactly as the runtime README prescribes.
  const p = (index: number) => module.local.get(index, i32);
  module.addFunction(
    'opa_eval',
    binaryen.createType([i32, i32, i32, i32, i32, i32, i32]),
    i32,
    [i32],
    module.block(
      null,
      [
        module.local.set(7, module.call(runtime('opa_eval_prepare'), [p(1), p(2), p(3), p(4), p(5)], i32)),
        module.drop(module.call('eval', [p(7)], i32)),
        module.call(runtime('opa_eval_finish'), [p(7), p(6)], i32),
      ],
      i32,
    ),
  );
  module.addFunctionExport('opa_eval', 'opa_eval');
  added.push('opa_eval');

  // The runtime's start function sets the heap pointer to its own heap base; move it above
  // our constants.
  const previousStart = module.getStart();
  const startBody: binaryen.ExpressionRef[] = [];
  if (previousStart !== 0) {
    const info = binaryen.getFunctionInfo(previousStart);
    startBody.push(module.call(info.name, [], binaryen.none));
  }
  startBody.push(module.call(runtime('opa_heap_ptr_set'), [module.i32.const(data.end)], binaryen.none));
  // What the start function allocates lies below the heap pointer the loader saves, so it
  // outlives every evaluation: the cache of compiled regular expressions lives there.
  if (fallbackHelpers.has('regex.match'))
    startBody.push(
      module.call(runtime('pcl_regex_cache_init'), [module.i32.const(REGEX_CACHE_BYTES)], binaryen.none),
    );
  const start = module.addFunction(
    'pcl$start',
    binaryen.none,
    binaryen.none,
    [],
    module.block(null, startBody, binaryen.none),
  );
  module.setStart(start);

  installData(module, data, constants);

  if (options.optimize !== false) {
    binaryen.setOptimizeLevel(2);
    binaryen.setShrinkLevel(0);
    for (const name of added) module.optimizeFunction(name);
  }
  if (policy.inputPaths !== undefined)
    module.addCustomSection(INPUT_PATHS_SECTION, encodeInputPaths(policy.inputPaths));
  if (!module.validate()) throw new WasmEmitError('generated module failed validation');
  if (options.debugNames !== true) return module.emitBinary();
  // binaryen's debug-info switch is global: set it for this emit only.
  binaryen.setDebugInfo(true);
  try {
    return module.emitBinary();
  } finally {
    binaryen.setDebugInfo(false);
  }
}

/** Keeps the runtime's data segments, adds ours, and re-imports the memory sized to fit. */
function installData(module: binaryen.Module, data: StaticData, constants: ConstantLayout): void {
  const anyModule = module as unknown as {
    getNumDataSegments(): number;
    getDataSegmentInfo(ref: number): {
      name: string;
      offset: number | null;
      data: ArrayBuffer;
      passive: boolean;
    };
  };
  const segments: { name: string; offset: number; data: Uint8Array; passive: boolean }[] = [];
  for (let i = 0; i < anyModule.getNumDataSegments(); i++) {
    const info = anyModule.getDataSegmentInfo(module.getDataSegmentByIndex(i));
    segments.push({
      name: info.name,
      offset: info.offset ?? 0,
      data: new Uint8Array(info.data),
      passive: info.passive,
    });
  }
  if (constants.bytes.length > 0)
    segments.push({ name: 'pcl$const', offset: constants.base, data: constants.bytes, passive: false });
  segments.push({ name: 'pcl$static', offset: data.base, data: data.data, passive: false });
  const memoryName = memoryInternalName(module);
  const info = module.getMemoryInfo(memoryName);
  const pages = Math.max(info.initial, Math.ceil(data.end / PAGE));
  module.setMemory(
    pages,
    info.max ?? -1,
    null,
    segments.map((s) => ({ offset: module.i32.const(s.offset), data: s.data, passive: s.passive })),
    false,
    false,
    memoryName,
  );
  module.addMemoryImport(memoryName, info.module ?? 'env', info.base ?? 'memory');
}

function memoryInternalName(module: binaryen.Module): string {
  for (let i = 0; i < module.getNumExports(); i++) {
    const info = binaryen.getExportInfo(module.getExportByIndex(i));
    if (info.kind === binaryen.ExternalMemory) return info.value;
  }
  // Not re-exported: binaryen names the first imported memory this way.
  return 'mimport$0';
}

/**
 * Rules (functions of input and data only) are memoized per evaluation, as OPA's wasm target
 * does: a decision that consults the same rule from many places computes it once. Each rule
 * has a 12-byte slot in static memory: the input and data addresses it was computed for, and
 * the value (0 not computed, 1 undefined). Keying on the addresses keeps results computed
 * under a `with` (which makes a new input or data value) apart from the others, however the
 * planner restores the locals afterwards; `eval` clears the table, since addresses are reused
 * by the next evaluation.
 */
interface Memo {
  readonly base: number;
  readonly size: number;
  readonly slots: ReadonlyMap<number, number>;
}

const MEMO_SLOT = 12;

function memoTable(policy: Policy, data: StaticData): Memo {
  const slots = new Map<number, number>();
  const memoized = policy.funcs.flatMap((func, index) => (func.params.length === 2 ? [index] : []));
  if (memoized.length === 0) return { base: 0, size: 0, slots };
  const size = memoized.length * MEMO_SLOT;
  const base = data.zeros(size);
  memoized.forEach((index, i) => {
    slots.set(index, base + i * MEMO_SLOT);
  });
  return { base, size, slots };
}

function addMemoWrapper(module: binaryen.Module, name: string, body: string, slot: number): void {
  const m = module;
  const get = (i: number) => m.local.get(i, i32);
  const at = () => m.i32.const(slot);
  m.addFunction(
    name,
    binaryen.createType([i32, i32]),
    i32,
    [i32],
    m.block(
      null,
      [
        m.local.set(2, m.i32.load(8, 4, at())),
        m.if(
          m.i32.and(
            m.i32.ne(get(2), m.i32.const(0)),
            m.i32.and(m.i32.eq(m.i32.load(0, 4, at()), get(0)), m.i32.eq(m.i32.load(4, 4, at()), get(1))),
          ),
          m.return(m.select(m.i32.eq(get(2), m.i32.const(1)), m.i32.const(0), get(2))),
        ),
        m.local.set(2, m.call(body, [get(0), get(1)], i32)),
        m.i32.store(0, 4, at(), get(0)),
        m.i32.store(4, 4, at(), get(1)),
        m.i32.store(8, 4, at(), m.select(get(2), get(2), m.i32.const(1))),
        get(2),
      ],
      i32,
    ),
  );
}

/**
 * Type tests and `type_name` in the module itself: the JSON crossing to a host builtin turns
 * sets into arrays, so only code that sees the value's tag can answer them.
 */
const TYPE_TESTS: ReadonlyMap<string, number> = new Map([
  ['is_null', 1],
  ['is_boolean', 2],
  ['is_number', 3],
  ['is_string', 4],
  ['is_array', 5],
  ['is_object', 6],
  ['is_set', 7],
]);
const TYPE_NAMES = ['null', 'boolean', 'number', 'string', 'array', 'object', 'set'];
const IS_TYPE = 'pcl$is_type';
const TYPE_NAME = 'pcl$type_name';

function addTypeHelpers(
  module: binaryen.Module,
  data: StaticData,
  scalars: { trueAddr: number; falseAddr: number },
): void {
  const v = () => module.local.get(0, i32);
  const tag = () => module.i32.load(0, 4, module.local.get(0, i32));
  module.addFunction(
    IS_TYPE,
    binaryen.createType([i32, i32]),
    i32,
    [],
    module.if(
      module.i32.eqz(v()),
      module.i32.const(0),
      module.select(
        module.i32.eq(tag(), module.local.get(1, i32)),
        module.i32.const(scalars.trueAddr),
        module.i32.const(scalars.falseAddr),
      ),
    ),
  );
  const body: binaryen.ExpressionRef[] = [module.if(module.i32.eqz(v()), module.return(module.i32.const(0)))];
  TYPE_NAMES.forEach((name, i) => {
    body.push(
      module.if(
        module.i32.eq(tag(), module.i32.const(i + 1)),
        module.return(module.i32.const(data.string(name))),
      ),
    );
  });
  body.push(module.i32.const(0));
  module.addFunction(TYPE_NAME, binaryen.createType([i32]), i32, [], module.block(null, body, i32));
}

/** `to_set(v)`: an array (a set after the JSON crossing) back into a set; anything else as is. */
function addToSet(module: binaryen.Module, name: string, runtime: (n: string) => string): void {
  const get = (i: number) => module.local.get(i, i32);
  // params: 0 v; vars: 1 set, 2 n, 3 i
  const body = module.block(
    null,
    [
      module.if(
        module.i32.or(
          module.i32.eqz(get(0)),
          module.i32.ne(module.i32.load(0, 4, get(0)), module.i32.const(5)),
        ),
        module.return(get(0)),
      ),
      module.local.set(1, module.call(runtime('opa_set'), [], i32)),
      module.local.set(2, module.i32.load(4, 4, get(0))),
      module.block('done', [
        module.loop(
          'next',
          module.block(null, [
            module.br('done', module.i32.ge_u(get(3), get(2))),
            module.call(
              runtime('opa_set_add'),
              [get(1), module.call(runtime('opa_array_get'), [get(0), get(3)], i32)],
              binaryen.none,
            ),
            module.local.set(3, module.i32.add(get(3), module.i32.const(1))),
            module.br('next'),
          ]),
        ),
      ]),
      get(1),
    ],
    i32,
  );
  module.addFunction(name, binaryen.createType([i32]), i32, [i32, i32, i32], body);
}
