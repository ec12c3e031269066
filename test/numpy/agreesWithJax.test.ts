/**
 * Results that differed from JAX without an error (issue 12), each a named regression: an
 * index that is no class, ±inf rows in logsumexp, reductions of empty axes, random initializers
 * asked for integers, ragged, cyclic and deep nested data, non-numeric fill values, and tensors of
 * thousands of dimensions read back.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { ArrayDataError, DTypeError, ModuleConfigError, ShapeError, hk, jax, jnp, type Tensor } from "../../src/index.js"
import { run, thrown } from "../support/effects.js"

const values = (t: Tensor): number[] => Array.from(t.toTypedArray() as ArrayLike<number>)

describe("jax.nn.oneHot compares indices in their own dtype, as JAX does", () => {
  it("an index that is not a class (3.5, -1, NaN, numClasses) gives an all-zero row; integral floats their class", () => {
    const out = jax.nn.oneHot(jnp.array([3.5, 2, -1, NaN, 5, 0]), 5)
    expect(out.toArray()).toEqual([
      [0, 0, 0, 0, 0],
      [0, 0, 1, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
      [1, 0, 0, 0, 0]
    ])
  })

  it("the same under jit and vmap, and for int32, uint32 and bool indices", () => {
    const f = (x: Tensor) => jax.nn.oneHot(x, 3)
    const x = jnp.array([0, 1.5, 2])
    expect(values(jax.jit(f)(x))).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 1])
    expect(values(jax.vmap(f)(x))).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 1])
    expect(values(f(jnp.array([2, -1], { dtype: "int32" })))).toEqual([0, 0, 1, 0, 0, 0])
    expect(values(f(jnp.array([1, 7], { dtype: "uint32" })))).toEqual([0, 1, 0, 0, 0, 0])
    expect(values(f(jnp.array([true, false])))).toEqual([0, 1, 0, 1, 0, 0])
  })
})

describe("jax.nn.logsumexp of rows holding infinities", () => {
  it("a row of -inf is -inf; a row holding +inf is +inf; NaN stays NaN (JAX's values)", () => {
    expect(jax.nn.logsumexp(jnp.array([-Infinity, -Infinity])).item()).toBe(-Infinity)
    expect(jax.nn.logsumexp(jnp.array([Infinity, 0])).item()).toBe(Infinity)
    expect(jax.nn.logsumexp(jnp.array([Infinity, Infinity])).item()).toBe(Infinity)
    expect(jax.nn.logsumexp(jnp.array([-Infinity, Infinity])).item()).toBe(Infinity)
    expect(jax.nn.logsumexp(jnp.array([NaN, 1])).item()).toBeNaN()
  })

  it("per row along an axis, with keepdims, eager and under jit", () => {
    const x = jnp.array([
      [-Infinity, -Infinity],
      [Infinity, 0],
      [0, Math.log(3)]
    ])
    const f = (t: Tensor) => jax.nn.logsumexp(t, { axis: 1, keepdims: true })
    for (const out of [f(x), jax.jit(f)(x)]) {
      expect(out.shape).toEqual([3, 1])
      const [a, b, c] = values(out)
      expect(a).toBe(-Infinity)
      expect(b).toBe(Infinity)
      expect(c).toBeCloseTo(Math.log(4), 6)
    }
  })
})

describe("reductions without an identity on empty axes raise, as JAX does", () => {
  it("jnp.max/min/argmax of zeros([0]) and of an empty axis are ShapeErrors naming the fix; other axes still reduce", () => {
    for (const f of [() => jnp.max(jnp.zeros([0])), () => jnp.min(jnp.zeros([0])), () => jnp.argmax(jnp.zeros([0])), () => jnp.max(jnp.zeros([2, 0]), { axis: 1 })]) {
      const e = thrown(f)
      expect(e).toBeInstanceOf(ShapeError)
      expect(e.message).toMatch(/empty|zero-size/)
    }
    expect(jnp.max(jnp.zeros([2, 0]), { axis: 0 }).shape).toEqual([0])
    expect(jnp.sum(jnp.zeros([0])).item()).toBe(0)
  })

  it("under jit and evalShape the same error is raised at trace time", () => {
    expect(thrown(() => jax.jit((x: Tensor) => jnp.max(x))(jnp.zeros([0])))).toBeInstanceOf(ShapeError)
    expect(thrown(() => jax.evalShape((x: Tensor) => jnp.max(x), jnp.zeros([3, 0])))).toBeInstanceOf(ShapeError)
  })
})

describe("random initializers make floats only", () => {
  const linear = (size: number) => (x: Tensor) => Effect.flatMap(hk.Linear(size), (l) => l(x))

  it("hk.Linear on an int32 input is a DTypeError naming the cast (JAX rejects an integer dtype for truncated_normal)", () => {
    const e = thrown(() => run(hk.transform(linear(2)).init(jax.random.key(0), jnp.ones([1, 3], "int32"))))
    expect(e).toBeInstanceOf(DTypeError)
    expect(e.message).toContain("hk.initializers.TruncatedNormal")
    expect(e.message).toContain('jnp.astype(x, "float32")')
  })

  it("an integer initializer still makes integer parameters; a float input is unaffected", () => {
    const f = (x: Tensor) => Effect.flatMap(hk.Linear(2, { wInit: hk.initializers.Constant(1) }), (l) => l(x))
    const params = run(hk.transform(f).init(jax.random.key(0), jnp.ones([1, 3], "int32"))) as Record<string, Record<string, Tensor>>
    expect(params["linear"]!["w"]!.dtype).toBe("int32")
    const floatParams = run(hk.transform(linear(2)).init(jax.random.key(0), jnp.ones([1, 3]))) as Record<string, Record<string, Tensor>>
    expect(floatParams["linear"]!["w"]!.dtype).toBe("float32")
  })

  it("every hk.initializers and jax.nn.initializers random initializer rejects int32 and uint32", () => {
    const hkInits = [hk.initializers.RandomNormal(), hk.initializers.RandomUniform(), hk.initializers.TruncatedNormal(), hk.initializers.VarianceScaling(2)]
    for (const init of hkInits) {
      for (const dtype of ["int32", "uint32"] as const) {
        const body = () => hk.getParameter("w", [2], init, { dtype })
        expect(thrown(() => run(hk.transform(body).init(jax.random.key(0))))).toBeInstanceOf(DTypeError)
      }
    }
    const jaxInits = [jax.nn.initializers.normal(), jax.nn.initializers.uniform(), jax.nn.initializers.truncatedNormal(), jax.nn.initializers.heNormal(), jax.nn.initializers.glorotUniform()]
    for (const init of jaxInits) expect(thrown(() => init(jax.random.key(0), [2, 2], "int32"))).toBeInstanceOf(DTypeError)
    expect(jax.nn.initializers.constant(3)(jax.random.key(0), [2], "int32").toArray()).toEqual([3, 3])
  })

  it("hk.Linear(-1) is a ModuleConfigError naming hk.Linear, outputSize and the module path", () => {
    const e = thrown(() => run(hk.transform(linear(-1)).init(jax.random.key(0), jnp.ones([1, 3]))))
    expect(e).toBeInstanceOf(ModuleConfigError)
    expect(e.message).toMatch(/^hk\.Linear: outputSize must be a positive integer .* got -1 \(module 'linear'\)/)
    const mlp = (x: Tensor) => Effect.flatMap(hk.nets.MLP([3, 2.5]), (m) => m(x))
    expect(thrown(() => run(hk.transform(mlp).init(jax.random.key(0), jnp.ones([1, 3])))).message).toContain("module 'mlp/~/linear_1'")
  })
})

describe("jnp.array reads nested data without recursion and rejects what is not a grid", () => {
  it("ragged nesting is an ArrayDataError whichever element is the deeper one", () => {
    for (const data of [[1, [2]], [[1], 2], [[1, 2], [3]], [[], [1]], [[[1, 2], [3, 4]], [[1, 2], [3, [4]]]]]) {
      const e = thrown(() => jnp.array(data as never))
      expect(e).toBeInstanceOf(ArrayDataError)
      expect(e.message).toContain("ragged data")
    }
    expect(thrown(() => jnp.array([1, [2]] as never)).message).toContain("data[1] is an array where a scalar was expected")
  })

  it("an array that contains itself is an ArrayDataError, not a stack overflow", () => {
    const cyclic: unknown[] = [1]
    cyclic[0] = cyclic
    const e = thrown(() => jnp.array(cyclic as never))
    expect(e).toBeInstanceOf(ArrayDataError)
    expect(e.message).toContain("contains itself")
    const inner: unknown[] = [[1], [2]]
    ;(inner[1] as unknown[])[0] = inner
    expect(thrown(() => jnp.array(inner as never))).toBeInstanceOf(ArrayDataError)
  })

  it("100,000 levels of nesting give a tensor of that rank holding the value", () => {
    let deep: unknown = 7
    for (let i = 0; i < 100_000; i++) deep = [deep]
    const t = jnp.array(deep as never)
    expect(t.ndim).toBe(100_000)
    expect(t.item()).toBe(7)
  })

  it("grids, empty rows and scalars keep their shapes; a string leaf names its path", () => {
    expect(jnp.array([[], []]).shape).toEqual([2, 0])
    expect(jnp.array([[[1, 2, 3]], [[4, 5, 6]]]).shape).toEqual([2, 1, 3])
    expect(jnp.array(5).shape).toEqual([])
    expect(thrown(() => jnp.array([1, "a"] as never)).message).toBe('jnp.array: data[1] is the string "a"; only numbers and booleans are allowed.')
  })
})

describe("jnp.full takes numbers and booleans only", () => {
  it("a string, an object or a Tensor as the fill value is an ArrayDataError naming the fix", () => {
    for (const v of ["a", {}, jnp.ones([])]) {
      const e = thrown(() => jnp.full([2], v as never))
      expect(e).toBeInstanceOf(ArrayDataError)
      expect(e.message).toContain("jnp.broadcastTo")
    }
  })

  it("booleans give 1/0; int dtypes truncate toward zero and reject values they cannot hold", () => {
    expect(values(jnp.full([2], true))).toEqual([1, 1])
    expect(values(jnp.full([2], -2.7, "int32"))).toEqual([-2, -2])
    for (const [v, dtype] of [[-1, "uint32"], [NaN, "int32"], [2 ** 31, "int32"], [Infinity, "uint32"]] as const) {
      expect(thrown(() => jnp.full([2], v, dtype))).toBeInstanceOf(ArrayDataError)
    }
    expect(values(jnp.full([1], NaN))).toEqual([NaN])
  })
})

describe("tensors of thousands of dimensions read back", () => {
  it("toArray and String of a tensor with 20,000 unit dimensions nest that deep", () => {
    const x = jnp.reshape(jnp.array([1, 2]), [2, ...new Array(20_000).fill(1)])
    let v: unknown = x.toArray()
    let depth = 0
    while (Array.isArray(v)) {
      v = v[0]
      depth++
    }
    expect(depth).toBe(20_001)
    expect(v).toBe(1)
    const text = String(x)
    expect(text.startsWith(`Tensor(${"[".repeat(20_001)}1${"]".repeat(20_000)},${"[".repeat(20_000)}2`)).toBe(true)
  })

  it("String prints NaN, ±Infinity and -0, and the nesting of empty arrays", () => {
    expect(String(jnp.array([NaN, Infinity, -Infinity, -0]))).toBe("Tensor([NaN,Infinity,-Infinity,-0], f32[4])")
    expect(String(jnp.zeros([2, 0, 3]))).toBe("Tensor([[],[]], f32[2,0,3])")
    expect(String(jnp.array([[true], [false]]))).toBe("Tensor([[true],[false]], bool[2,1])")
  })
})
