/**
 * Random transform stacks over a fuzz program: `vmap`, `grad`, `jit`, `lax.scan`, `lax.cond` and
 * `lax.whileLoop` wrappers, each given as a pair — the tanka function and its float64 reference
 * (vmap: a loop over the batch; grad: forward-mode dual numbers through the reference; scan, cond
 * and while: the loop or branch written out).
 */
import { jax, jnp, type Tensor } from "../../src/index.js"
import { ravelIndex, size, unravelIndex } from "../support/reference.js"
import { type El, type Program, type RefCtx, type RV, Rnd, U, elsOf, fromEls, refProgram, runProgram, rv } from "./program.js"

export interface ArgSpec {
  readonly shape: ReadonlyArray<number>
  readonly dtype: "float32" | "bool" | "int32"
  readonly lo: number
  readonly hi: number
}

/** A function under test: its argument signature, output shapes, tanka body and reference. */
export interface Fn {
  readonly args: ReadonlyArray<ArgSpec>
  readonly outShapes: ReadonlyArray<ReadonlyArray<number>>
  readonly tanka: (...xs: Tensor[]) => Tensor[]
  readonly ref: (xs: ReadonlyArray<RV>, ctx: RefCtx) => RV[]
  readonly label: string
  /** Op applications inside (scales the gradient tolerance). */
  readonly work: number
  readonly hasGrad: boolean
  readonly hasWhile: boolean
}

export const programFn = (prog: Program): Fn => ({
  args: prog.inputs.map((i) => ({ shape: i.shape, dtype: "float32", lo: i.lo, hi: i.hi })),
  outShapes: prog.outputs.map((o) => prog.shapes[o]!),
  tanka: (...xs) => runProgram(prog, xs),
  ref: (xs, ctx) => refProgram(prog, xs, ctx),
  label: "f",
  work: prog.nodes.length + 1,
  hasGrad: false,
  hasWhile: false
})

// ---------------------------------------------------------------- reference helpers

const insertAxis = (shape: ReadonlyArray<number>, axis: number, n: number): number[] => [...shape.slice(0, axis), n, ...shape.slice(axis)]

/** x's slice `b` along `axis` (the axis removed). */
const sliceRV = (x: RV, axis: number, b: number): RV => {
  const shape = x.shape.filter((_, d) => d !== axis)
  const els = elsOf(x)
  return fromEls(shape, Array.from({ length: size(shape) }, (_, k) => els[ravelIndex(insertAxis(unravelIndex(k, shape), axis, b), x.shape)]!))
}

/** Stack along a new leading axis. */
const stackRV = (xs: ReadonlyArray<RV>, inner: ReadonlyArray<number>): RV => fromEls([xs.length, ...inner], xs.flatMap(elsOf))

const zerosRV = (shape: ReadonlyArray<number>): RV => rv(shape, new Array<number>(size(shape)).fill(0))

/** acc·0.5 + out, elementwise. */
const halfPlus = (acc: RV, out: RV): RV => {
  const c = elsOf(acc)
  return fromEls(
    out.shape,
    elsOf(out).map(([v, t, e, a, te], k): El => {
      const [cv, ct, ce, ca, cte] = c[k]!
      return [0.5 * cv + v, 0.5 * ct + t, 0.5 * ce + e + 2 * U * Math.abs(0.5 * cv + v), 0.5 * ca + a, 0.5 * cte + te + 2 * U * (0.5 * ca + a)]
    })
  )
}

const randomF32 = (rnd: Rnd, shape: ReadonlyArray<number>): number[] => Array.from({ length: size(shape) }, () => rnd.f32(-1, 1))

// ---------------------------------------------------------------- wrappers

/** jax.vmap over a random axis of each argument (some unmapped); outputs stacked on axis 0. */
export const vmapFn = (inner: Fn, rnd: Rnd): Fn => {
  const n = rnd.int(1, 3)
  let axes = inner.args.map((a) => (rnd.bool(0.7) ? rnd.int(0, a.shape.length) : null))
  if (axes.every((a) => a === null)) axes = axes.map((_, k) => (k === 0 ? 0 : null))
  return {
    args: inner.args.map((a, k) => (axes[k] === null ? a : { ...a, shape: insertAxis(a.shape, axes[k]!, n) })),
    outShapes: inner.outShapes.map((s) => [n, ...s]),
    tanka: (...xs) => jax.vmap((...ys: Tensor[]) => inner.tanka(...ys), { inAxes: axes })(...xs),
    ref: (xs, ctx) => {
      const per = Array.from({ length: n }, (_, b) => inner.ref(xs.map((x, k) => (axes[k] === null ? x : sliceRV(x, axes[k]!, b))), ctx))
      return inner.outShapes.map((s, o) => stackRV(per.map((p) => p[o]!), s))
    },
    label: `vmap(${inner.label}, inAxes=${JSON.stringify(axes)}, n=${n})`,
    work: inner.work,
    hasGrad: inner.hasGrad,
    hasWhile: inner.hasWhile
  }
}

/**
 * jax.grad of Σ_o sum(w_o · out_o) with respect to every float argument. The reference runs the
 * float64 interpreter once per input element with that element's tangent set (forward mode).
 */
export const gradFn = (inner: Fn, rnd: Rnd): Fn | null => {
  const argnums = inner.args.flatMap((a, k) => (a.dtype === "float32" ? [k] : []))
  if (argnums.length === 0 || inner.hasGrad) return null
  const ws = inner.outShapes.map((s) => randomF32(rnd, s))
  const loss = (...xs: Tensor[]): Tensor =>
    inner
      .tanka(...xs)
      .map((o, k) => jnp.sum(jnp.multiply(o, jnp.array(Float32Array.from(ws[k]!), { shape: inner.outShapes[k]! }))))
      .reduce((a, b) => jnp.add(a, b))
  return {
    args: inner.args,
    outShapes: argnums.map((k) => inner.args[k]!.shape),
    tanka: (...xs) => jax.grad(loss, { argnums })(...xs) as Tensor[],
    ref: (xs, ctx) =>
      argnums.map((a) => {
        const x = xs[a]!
        const g: number[] = []
        const tol: number[] = []
        for (let j = 0; j < x.v.length; j++) {
          const unit = (k: number, y: RV) => y.v.map((_, i) => (k === a && i === j ? 1 : 0))
          const seeded = xs.map((y, k): RV => ({ ...y, t: unit(k, y), a: unit(k, y), te: y.v.map(() => 0) }))
          const outs = inner.ref(seeded, ctx)
          let s = 0
          let abs = 0
          let err = 0
          let n = 0
          outs.forEach((o, k) =>
            o.t.forEach((tv, i) => {
              const w = ws[k]![i]!
              s += w * tv
              abs += Math.abs(w) * o.a[i]!
              err += Math.abs(w) * o.te[i]!
              n++
            })
          )
          g.push(s)
          // the derivative's error bound through the program, plus the loss's own sum
          tol.push(err + (n + 2) * U * abs)
        }
        return { ...rv(x.shape, g), e: tol }
      }),
    label: `grad(${inner.label}, argnums=${JSON.stringify(argnums)})`,
    work: inner.work,
    hasGrad: true,
    hasWhile: inner.hasWhile
  }
}

/**
 * jax.lax.scan over a leading axis of some arguments (the others are closed over), carry
 * `c ← 0.5·c + f(x_t)`, returning [...carry, ...ys].
 */
export const scanFn = (inner: Fn, rnd: Rnd): Fn => {
  const n = rnd.int(1, 3)
  const mapped = inner.args.map(() => rnd.bool(0.6))
  const reverse = rnd.bool(0.3)
  const none = mapped.every((m) => !m)
  return {
    args: inner.args.map((a, k) => (mapped[k] ? { ...a, shape: [n, ...a.shape] } : a)),
    outShapes: [...inner.outShapes, ...inner.outShapes.map((s) => [n, ...s])],
    tanka: (...xs) => {
      const seqs = xs.filter((_, k) => mapped[k])
      const merge = (slices: Tensor[]) => {
        let q = 0
        return xs.map((x, k) => (mapped[k] ? slices[q++]! : x))
      }
      const init = inner.outShapes.map((s) => jnp.zeros(s))
      const [carry, ys] = jax.lax.scan(
        (c: Tensor[], sl: Tensor[] | null) => {
          const outs = inner.tanka(...merge(sl ?? []))
          return [c.map((ci, k) => jnp.add(jnp.multiply(ci, 0.5), outs[k]!)), outs]
        },
        init,
        none ? null : seqs,
        none ? { length: n, reverse } : { reverse }
      ) as [Tensor[], Tensor[]]
      return [...carry, ...ys]
    },
    ref: (xs, ctx) => {
      let carry = inner.outShapes.map(zerosRV)
      const ys: RV[][] = new Array(n)
      for (let s = 0; s < n; s++) {
        const i = reverse ? n - 1 - s : s
        const outs = inner.ref(xs.map((x, k) => (mapped[k] ? sliceRV(x, 0, i) : x)), ctx)
        carry = carry.map((c, k) => halfPlus(c, outs[k]!))
        ys[i] = outs
      }
      return [...carry, ...inner.outShapes.map((s, o) => stackRV(ys.map((y) => y[o]!), s))]
    },
    label: `scan(${inner.label}, mapped=${JSON.stringify(mapped)}, n=${n}${reverse ? ", reverse" : ""})`,
    work: inner.work + 1,
    hasGrad: inner.hasGrad,
    hasWhile: inner.hasWhile
  }
}

/** jax.lax.cond(pred, f, -0.5·f, ...xs) with the predicate a traced bool argument. */
export const condFn = (inner: Fn): Fn => ({
  args: [{ shape: [], dtype: "bool", lo: 0, hi: 1 }, ...inner.args],
  outShapes: inner.outShapes,
  tanka: (pred, ...xs) =>
    jax.lax.cond(
      pred!,
      (...a: Tensor[]) => inner.tanka(...a),
      (...a: Tensor[]) => inner.tanka(...a).map((o) => jnp.multiply(o, -0.5)),
      ...xs
    ) as Tensor[],
  ref: ([pred, ...xs], ctx) => {
    const outs = inner.ref(xs, ctx)
    return pred!.v[0] ? outs : outs.map((o) => fromEls(o.shape, elsOf(o).map(([v, t, e, a, te]): El => [-0.5 * v, -0.5 * t, 0.5 * e, 0.5 * a, 0.5 * te])))
  },
  label: `cond(${inner.label})`,
  work: inner.work + 1,
  hasGrad: inner.hasGrad,
  hasWhile: inner.hasWhile
})

/** jax.lax.whileLoop running `acc ← 0.5·acc + f(xs)` a traced number of times (an int32 argument in [0, 3]). */
export const whileFn = (inner: Fn): Fn => ({
  args: [{ shape: [], dtype: "int32", lo: 0, hi: 3 }, ...inner.args],
  outShapes: inner.outShapes,
  tanka: (n, ...xs) => {
    const init: Tensor[] = [jnp.array(0, { dtype: "int32" }), ...inner.outShapes.map((s) => jnp.zeros(s))]
    const out = jax.lax.whileLoop(
      (val: Tensor[]) => jnp.less(val[0]!, n!),
      (val: Tensor[]) => {
        const outs = inner.tanka(...xs)
        return [jnp.add(val[0]!, 1), ...val.slice(1).map((a, k) => jnp.add(jnp.multiply(a, 0.5), outs[k]!))]
      },
      init
    ) as Tensor[]
    return out.slice(1)
  },
  ref: ([n, ...xs], ctx) => {
    let acc = inner.outShapes.map(zerosRV)
    for (let i = 0; i < n!.v[0]!; i++) {
      const outs = inner.ref(xs, ctx)
      acc = acc.map((a, k) => halfPlus(a, outs[k]!))
    }
    return acc
  },
  label: `while(${inner.label})`,
  work: inner.work + 2,
  hasGrad: inner.hasGrad,
  hasWhile: true
})

/** jax.jit inside the stack (the outermost jit is applied by the runner to every case). */
export const jitFn = (inner: Fn): Fn => {
  const jitted = jax.jit((...xs: Tensor[]) => inner.tanka(...xs))
  return { ...inner, tanka: (...xs) => jitted(...xs), label: `jit(${inner.label})` }
}

export type WrapperName = "vmap" | "grad" | "scan" | "cond" | "while" | "jit"

/** Apply up to `depth` random wrappers (at most one grad). Returns the stack and whether it must raise a typed error. */
export const wrapRandom = (base: Fn, rnd: Rnd, depth: number): { fn: Fn; expectError: string | null } => {
  let fn = base
  let expectError: string | null = null
  for (let d = 0; d < depth; d++) {
    const w = rnd.pick<WrapperName>(["vmap", "vmap", "grad", "grad", "scan", "cond", "while", "jit"])
    if (w === "grad") {
      const g = gradFn(fn, rnd)
      if (!g) continue
      // reverse mode through a while loop is not defined (JAX raises too)
      if (fn.hasWhile) expectError = "reverse-mode differentiation of a while loop"
      fn = g
    } else if (w === "vmap") fn = vmapFn(fn, rnd)
    else if (w === "scan") fn = scanFn(fn, rnd)
    else if (w === "cond") fn = condFn(fn)
    else if (w === "while") fn = whileFn(fn)
    else fn = jitFn(fn)
  }
  return { fn, expectError }
}

/** Draw the arguments of a signature: floats in their interval, bools, ints. */
export const drawArgs = (args: ReadonlyArray<ArgSpec>, rnd: Rnd): { tensors: Tensor[]; refs: RV[] } => {
  const tensors: Tensor[] = []
  const refs: RV[] = []
  for (const a of args) {
    const n = size(a.shape)
    if (a.dtype === "float32") {
      const v = Array.from({ length: n }, () => rnd.f32(a.lo, a.hi))
      tensors.push(jnp.array(Float32Array.from(v), { shape: a.shape }))
      refs.push(rv(a.shape, v))
    } else if (a.dtype === "int32") {
      const v = Array.from({ length: n }, () => rnd.int(a.lo, a.hi))
      tensors.push(jnp.array(Int32Array.from(v), { shape: a.shape }))
      refs.push(rv(a.shape, v))
    } else {
      const v = Array.from({ length: n }, () => (rnd.bool() ? 1 : 0))
      tensors.push(a.shape.length === 0 ? jnp.array(v[0] === 1) : jnp.astype(jnp.array(Int32Array.from(v), { shape: a.shape }), "bool"))
      refs.push(rv(a.shape, v))
    }
  }
  return { tensors, refs }
}
