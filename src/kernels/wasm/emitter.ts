/**
 * A small WebAssembly binary emitter: modules of functions over one imported linear memory,
 * with the scalar and SIMD128 instructions tanka's CPU kernels use. Kernels are generated per
 * shape as bytecode, the way jax-js assembles its own wasm; no text format, no toolchain.
 *
 * Only what the kernels need is here: i32/f32 scalars, v128 loads, stores and f32x4/i32x4
 * arithmetic, structured control flow. `Fn` methods push instructions in stack-machine order.
 */

/** Value types. */
export const I32 = 0x7f
export const F32 = 0x7d
export const V128 = 0x7b
export const F64 = 0x7c
export type ValType = typeof I32 | typeof F32 | typeof V128 | typeof F64

const uleb = (out: number[], v: number): void => {
  let x = v >>> 0
  do {
    let b = x & 0x7f
    x >>>= 7
    if (x !== 0) b |= 0x80
    out.push(b)
  } while (x !== 0)
}

const sleb = (out: number[], v: number): void => {
  let x = v | 0
  for (;;) {
    const b = x & 0x7f
    x >>= 7
    if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) {
      out.push(b)
      return
    }
    out.push(b | 0x80)
  }
}

const f32Bytes = new Uint8Array(4)
const f32View = new DataView(f32Bytes.buffer)

const str = (out: number[], s: string): void => {
  const bytes = new TextEncoder().encode(s)
  uleb(out, bytes.length)
  out.push(...bytes)
}

/** SIMD opcodes (after the 0xfd prefix), named as in the spec's text format. */
export const SIMD = {
  "v128.load": 0x00,
  "v128.load32_splat": 0x09,
  "v128.store": 0x0b,
  "v128.load32_zero": 0x5c,
  "i32x4.splat": 0x11,
  "f32x4.splat": 0x13,
  "i32x4.extract_lane": 0x1b,
  "i32x4.replace_lane": 0x1c,
  "f32x4.extract_lane": 0x1f,
  "f32x4.replace_lane": 0x20,
  "i32x4.eq": 0x37,
  "i32x4.ne": 0x38,
  "i32x4.lt_s": 0x39,
  "i32x4.lt_u": 0x3a,
  "i32x4.gt_s": 0x3b,
  "i32x4.gt_u": 0x3c,
  "i32x4.le_s": 0x3d,
  "i32x4.le_u": 0x3e,
  "i32x4.ge_s": 0x3f,
  "i32x4.ge_u": 0x40,
  "f32x4.eq": 0x41,
  "f32x4.ne": 0x42,
  "f32x4.lt": 0x43,
  "f32x4.gt": 0x44,
  "f32x4.le": 0x45,
  "f32x4.ge": 0x46,
  "v128.not": 0x4d,
  "v128.and": 0x4e,
  "v128.andnot": 0x4f,
  "v128.or": 0x50,
  "v128.xor": 0x51,
  "v128.bitselect": 0x52,
  "v128.any_true": 0x53,
  "f32x4.ceil": 0x67,
  "f32x4.floor": 0x68,
  "f32x4.trunc": 0x69,
  "f32x4.nearest": 0x6a,
  "i32x4.abs": 0xa0,
  "i32x4.neg": 0xa1,
  "i32x4.all_true": 0xa3,
  "i32x4.shl": 0xab,
  "i32x4.shr_s": 0xac,
  "i32x4.shr_u": 0xad,
  "i32x4.add": 0xae,
  "i32x4.sub": 0xb1,
  "i32x4.mul": 0xb5,
  "i32x4.min_s": 0xb6,
  "i32x4.min_u": 0xb7,
  "i32x4.max_s": 0xb8,
  "i32x4.max_u": 0xb9,
  "f32x4.abs": 0xe0,
  "f32x4.neg": 0xe1,
  "f32x4.sqrt": 0xe3,
  "f32x4.add": 0xe4,
  "f32x4.sub": 0xe5,
  "f32x4.mul": 0xe6,
  "f32x4.div": 0xe7,
  "f32x4.min": 0xe8,
  "f32x4.max": 0xe9,
  "f32x4.pmin": 0xea,
  "f32x4.pmax": 0xeb,
  "i32x4.trunc_sat_f32x4_s": 0xf8,
  "i32x4.trunc_sat_f32x4_u": 0xf9,
  "f32x4.convert_i32x4_s": 0xfa,
  "f32x4.convert_i32x4_u": 0xfb
} as const
export type SimdOp = keyof typeof SIMD

/** Scalar opcodes without immediates. */
export const OP = {
  unreachable: 0x00,
  drop: 0x1a,
  select: 0x1b,
  return: 0x0f,
  "i32.eqz": 0x45,
  "i32.eq": 0x46,
  "i32.ne": 0x47,
  "i32.lt_s": 0x48,
  "i32.lt_u": 0x49,
  "i32.gt_s": 0x4a,
  "i32.gt_u": 0x4b,
  "i32.le_s": 0x4c,
  "i32.le_u": 0x4d,
  "i32.ge_s": 0x4e,
  "i32.ge_u": 0x4f,
  "f32.eq": 0x5b,
  "f32.ne": 0x5c,
  "f32.lt": 0x5d,
  "f32.gt": 0x5e,
  "f32.le": 0x5f,
  "f32.ge": 0x60,
  "i32.add": 0x6a,
  "i32.sub": 0x6b,
  "i32.mul": 0x6c,
  "i32.div_s": 0x6d,
  "i32.div_u": 0x6e,
  "i32.rem_s": 0x6f,
  "i32.rem_u": 0x70,
  "i32.and": 0x71,
  "i32.or": 0x72,
  "i32.xor": 0x73,
  "i32.shl": 0x74,
  "i32.shr_s": 0x75,
  "i32.shr_u": 0x76,
  "f32.abs": 0x8b,
  "f32.neg": 0x8c,
  "f32.floor": 0x8e,
  "f32.sqrt": 0x91,
  "f32.add": 0x92,
  "f32.sub": 0x93,
  "f32.mul": 0x94,
  "f32.div": 0x95,
  "f32.min": 0x96,
  "f32.max": 0x97,
  "i32.trunc_f32_s": 0xa8,
  "f32.convert_i32_s": 0xb2,
  "f32.demote_f64": 0xb6,
  "f64.promote_f32": 0xbb,
  "i32.reinterpret_f32": 0xbc,
  "f32.reinterpret_i32": 0xbe
} as const
export type ScalarOp = keyof typeof OP

/** A local variable index. */
export type Local = number & { readonly __local: unique symbol }

/** A tuple of `N` elements of `T`. */
export type Tuple<T, N extends number, R extends T[] = []> = R["length"] extends N ? R : Tuple<T, N, [...R, T]>

/** A function body under construction. Instructions are appended in stack-machine order. */
export class Fn {
  readonly code: number[] = []
  private readonly localTypes: ValType[] = []
  constructor(
    readonly name: string,
    readonly params: ReadonlyArray<ValType>,
    readonly results: ReadonlyArray<ValType>
  ) {}

  /** The local of parameter `i`. */
  param(i: number): Local {
    return i as Local
  }
  /** The locals of parameters 0 .. n-1. */
  paramList<N extends number>(n: N): Tuple<Local, N> {
    return Array.from({ length: n }, (_, i) => i as Local) as unknown as Tuple<Local, N>
  }
  /** Declares a new local of `type`. */
  local(type: ValType): Local {
    this.localTypes.push(type)
    return (this.params.length + this.localTypes.length - 1) as Local
  }

  op(name: ScalarOp): this {
    this.code.push(OP[name])
    return this
  }
  simd(name: SimdOp): this {
    this.code.push(0xfd)
    uleb(this.code, SIMD[name])
    return this
  }
  /** `i8x16.shuffle` of the two vectors on the stack, byte lanes 0-15 from the first, 16-31 from the second. */
  shuffle(lanes: ReadonlyArray<number>): this {
    if (lanes.length !== 16) throw new Error("internal: i8x16.shuffle takes 16 lane indices")
    this.code.push(0xfd)
    uleb(this.code, 0x0d)
    this.code.push(...lanes)
    return this
  }
  /** A lane instruction (`extract_lane`, `replace_lane`) with its lane index. */
  lane(name: SimdOp, lane: number): this {
    this.simd(name)
    this.code.push(lane)
    return this
  }
  get(l: Local): this {
    this.code.push(0x20)
    uleb(this.code, l)
    return this
  }
  set(l: Local): this {
    this.code.push(0x21)
    uleb(this.code, l)
    return this
  }
  tee(l: Local): this {
    this.code.push(0x22)
    uleb(this.code, l)
    return this
  }
  i32(v: number): this {
    this.code.push(0x41)
    sleb(this.code, v)
    return this
  }
  f32(v: number): this {
    this.code.push(0x43)
    f32View.setFloat32(0, v, true)
    this.code.push(...f32Bytes)
    return this
  }
  /** `v128.const` with four f32 lanes. */
  f32x4(v: number): this {
    this.code.push(0xfd)
    uleb(this.code, 0x0c)
    for (let k = 0; k < 4; k++) {
      f32View.setFloat32(0, v, true)
      this.code.push(...f32Bytes)
    }
    return this
  }
  /** `v128.const` with four i32 lanes. */
  i32x4(a: number, b = a, c = a, d = a): this {
    this.code.push(0xfd)
    uleb(this.code, 0x0c)
    for (const v of [a, b, c, d]) {
      f32View.setInt32(0, v | 0, true)
      this.code.push(...f32Bytes)
    }
    return this
  }
  private mem(opcode: number, align: number, offset: number): this {
    this.code.push(opcode, align)
    uleb(this.code, offset)
    return this
  }
  private memSimd(opcode: number, align: number, offset: number): this {
    this.code.push(0xfd)
    uleb(this.code, opcode)
    this.code.push(align)
    uleb(this.code, offset)
    return this
  }
  f32load(offset = 0): this {
    return this.mem(0x2a, 2, offset)
  }
  f32store(offset = 0): this {
    return this.mem(0x38, 2, offset)
  }
  i32load(offset = 0): this {
    return this.mem(0x28, 2, offset)
  }
  i32store(offset = 0): this {
    return this.mem(0x36, 2, offset)
  }
  i32load8u(offset = 0): this {
    return this.mem(0x2d, 0, offset)
  }
  v128load(offset = 0): this {
    return this.memSimd(SIMD["v128.load"], 4, offset)
  }
  v128store(offset = 0): this {
    return this.memSimd(SIMD["v128.store"], 4, offset)
  }
  v128load32splat(offset = 0): this {
    return this.memSimd(SIMD["v128.load32_splat"], 2, offset)
  }
  v128load32zero(offset = 0): this {
    return this.memSimd(SIMD["v128.load32_zero"], 2, offset)
  }

  /** `block ... end` (branch depth 0 inside leaves it). */
  block(body: () => void): this {
    this.code.push(0x02, 0x40)
    body()
    this.code.push(0x0b)
    return this
  }
  /** `loop ... end` (branch depth 0 inside restarts it). */
  loop(body: () => void): this {
    this.code.push(0x03, 0x40)
    body()
    this.code.push(0x0b)
    return this
  }
  /** `if ... [else ...] end` on the i32 on the stack; with `result`, both arms leave one value of that type. */
  if(then: () => void, otherwise?: () => void, result?: ValType): this {
    this.code.push(0x04, result ?? 0x40)
    then()
    if (otherwise) {
      this.code.push(0x05)
      otherwise()
    }
    this.code.push(0x0b)
    return this
  }
  br(depth: number): this {
    this.code.push(0x0c)
    uleb(this.code, depth)
    return this
  }
  brIf(depth: number): this {
    this.code.push(0x0d)
    uleb(this.code, depth)
    return this
  }
  call(index: number): this {
    this.code.push(0x10)
    uleb(this.code, index)
    return this
  }

  /**
   * `for (i = from; i < to; i += step) body()` with a signed i32 counter; `from` and `to` are
   * constants or code that pushes an i32 (e.g. `() => f.get(n)`). Inside `body`, branch depth
   * 0 continues with the next iteration's test only through the end of `body`, and `br(1)`
   * from directly inside `body` leaves the loop.
   */
  for(i: Local, from: number | (() => void), to: number | (() => void), step: number, body: () => void): this {
    const push = (v: number | (() => void)): void => {
      if (typeof v === "number") this.i32(v)
      else v()
    }
    push(from)
    this.set(i)
    this.block(() =>
      this.loop(() => {
        this.get(i)
        push(to)
        this.op("i32.ge_s").brIf(1)
        body()
        this.get(i).i32(step).op("i32.add").set(i)
        this.br(0)
      })
    )
    return this
  }

  /** Encoded body: locals then code then `end`. */
  encode(): number[] {
    const out: number[] = []
    const groups: Array<[number, ValType]> = []
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1]
      if (last && last[1] === t) last[0]++
      else groups.push([1, t])
    }
    uleb(out, groups.length)
    for (const [n, t] of groups) {
      uleb(out, n)
      out.push(t)
    }
    out.push(...this.code, 0x0b)
    const sized: number[] = []
    uleb(sized, out.length)
    return [...sized, ...out]
  }
}

/** Memory import settings: pages of 64 KiB; shared memories need a maximum. */
export interface MemoryImport {
  readonly initial: number
  readonly maximum: number
  readonly shared: boolean
}

/**
 * A module of functions over the memory imported as `env.memory`. Functions are exported under
 * their names; `Fn.call(index)` refers to them by the order of `add`.
 */
export class ModuleBuilder {
  private readonly fns: Fn[] = []
  private readonly imports: Array<{ module: string; name: string; params: ReadonlyArray<ValType>; results: ReadonlyArray<ValType> }> = []
  constructor(readonly memory: MemoryImport) {}

  /** Imports a host function (before any `add`); returns its index for `call`. */
  importFn(module: string, name: string, params: ReadonlyArray<ValType>, results: ReadonlyArray<ValType>): number {
    if (this.fns.length > 0) throw new Error("internal: wasm imports must be declared before functions")
    this.imports.push({ module, name, params, results })
    return this.imports.length - 1
  }

  /** Adds a function and returns it with its index (for `call`). */
  add(name: string, params: ReadonlyArray<ValType>, results: ReadonlyArray<ValType>): { fn: Fn; index: number } {
    const fn = new Fn(name, params, results)
    this.fns.push(fn)
    return { fn, index: this.imports.length + this.fns.length - 1 }
  }

  /** The module's bytes. */
  build(): Uint8Array {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]
    const section = (id: number, body: number[]): void => {
      out.push(id)
      uleb(out, body.length)
      out.push(...body)
    }
    // types: one per import, then one per function (duplicates are harmless)
    const sigs = [...this.imports, ...this.fns]
    const types: number[] = []
    uleb(types, sigs.length)
    for (const f of sigs) {
      types.push(0x60)
      uleb(types, f.params.length)
      types.push(...f.params)
      uleb(types, f.results.length)
      types.push(...f.results)
    }
    section(1, types)
    const imports: number[] = []
    uleb(imports, 1 + this.imports.length)
    this.imports.forEach((imp, k) => {
      str(imports, imp.module)
      str(imports, imp.name)
      imports.push(0x00)
      uleb(imports, k)
    })
    str(imports, "env")
    str(imports, "memory")
    imports.push(0x02, this.memory.shared ? 0x03 : 0x01)
    uleb(imports, this.memory.initial)
    uleb(imports, this.memory.maximum)
    section(2, imports)
    const funcs: number[] = []
    uleb(funcs, this.fns.length)
    this.fns.forEach((_, k) => uleb(funcs, this.imports.length + k))
    section(3, funcs)
    const exports: number[] = []
    uleb(exports, this.fns.length)
    this.fns.forEach((f, k) => {
      str(exports, f.name)
      exports.push(0x00)
      uleb(exports, this.imports.length + k)
    })
    section(7, exports)
    const code: number[] = []
    uleb(code, this.fns.length)
    for (const f of this.fns) code.push(...f.encode())
    section(10, code)
    return Uint8Array.from(out)
  }
}
