/**
 * hk.summary: the rows and totals of Haiku's `tabulate` docstring example (MLP([300, 100, 10]) on
 * f32[8, 784]), computed without running a kernel; filters; methods other than `__call__`;
 * stateful networks; a network too big to initialise here.
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { hk, jnp, type Tensor } from "../../src/index.js"
import { kernelLaunches } from "../../src/kernels/index.js"
import { run } from "../support/effects.js"

const mlp = (x: Tensor) => Effect.flatMap(hk.nets.MLP([300, 100, 10]), (m) => m(x))

describe("hk.summary", () => {
  it("MLP([300, 100, 10]) on f32[8, 784]: Haiku's rows, counts and bytes, and no kernel runs", () => {
    const before = kernelLaunches()
    const s = run(hk.summary(mlp)({ shape: [8, 784], dtype: "float32" }))
    expect(kernelLaunches() - before).toBe(0)
    expect(s.rows.map((r) => [r.module, r.kind, r.inputs.join(), r.output, r.paramCount])).toEqual([
      ["mlp", "MLP", "f32[8,784]", "f32[8,10]", 266_610],
      ["mlp/~/linear_0", "Linear", "f32[8,784]", "f32[8,300]", 235_500],
      ["mlp/~/linear_1", "Linear", "f32[8,300]", "f32[8,100]", 30_100],
      ["mlp/~/linear_2", "Linear", "f32[8,100]", "f32[8,10]", 1_010]
    ])
    expect(s.rows[1]!.callStack).toEqual(["mlp"])
    expect(s.rows[1]!.ownedParams).toEqual({ b: { shape: [300], dtype: "float32" }, w: { shape: [784, 300], dtype: "float32" } })
    expect([s.totalParams, s.totalBytes]).toEqual([266_610, 1_066_440])
    const text = String(s)
    // the figures of Haiku's docstring table
    for (const cell of ["mlp/~/linear_0 (Linear)", " └ mlp", "w: f32[784,300]", "266,610", "1.07 MB", "942.00 KB", "120.40 KB", "4.04 KB"]) expect(text).toContain(cell)
    expect(text.split("\n")[0]).toMatch(/^\+-+\+/)
    expect(text.split("\n")[2]).toMatch(/^\+=+\+/)
  })

  it("records other methods (Embed.attend), honours hasParams, works for stateful networks and on concrete tensors", () => {
    const lm = (ids: Tensor) =>
      Effect.gen(function* () {
        const embed = yield* hk.Embed({ vocabSize: 10, embedDim: 4 })
        const norm = yield* hk.LayerNorm({ axis: -1, createScale: true, createOffset: false })
        const flat = yield* hk.Flatten()
        const bn = yield* hk.BatchNorm({ createScale: false, createOffset: false, decayRate: 0.9 })
        const h = yield* bn(yield* norm(yield* embed(ids)), true)
        yield* flat(h)
        return yield* embed.attend(h)
      })
    const s = run(hk.summary(lm)(jnp.array(Int32Array.from([1, 2, 3]))))
    expect(s.rows.map((r) => `${r.module}.${r.method}`)).toEqual([
      "embed.__call__",
      "layer_norm.__call__",
      "batch_norm.__call__",
      "batch_norm/~/mean_ema.__call__",
      "batch_norm/~/var_ema.__call__",
      "flatten.__call__",
      "embed.attend"
    ])
    expect(s.rows[3]!.callStack).toEqual(["batch_norm"])
    expect(s.rows[6]!.output).toBe("f32[3,10]")
    expect(s.totalParams).toBe(44)
    const withParams = run(hk.summary(lm, { hasParams: true })(jnp.array(Int32Array.from([1, 2, 3]))))
    expect(withParams.rows.map((r) => r.module)).toEqual(["embed", "layer_norm", "embed"])
  })

  it("ResNet50 (25,557,032 parameters) is summarised abstractly: no kernel runs", () => {
    const before = kernelLaunches()
    const s = run(hk.summary((x: Tensor) => Effect.flatMap(hk.nets.ResNet50(1000), (r) => r(x, true)))({ shape: [1, 224, 224, 3], dtype: "float32" }))
    expect(kernelLaunches() - before).toBe(0)
    expect(s.totalParams).toBe(25_557_032)
    expect(s.rows[0]!.module).toBe("res_net50")
    expect(s.rows[0]!.output).toBe("f32[1,1000]")
  })
})
