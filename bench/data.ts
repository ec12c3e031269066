/**
 * Seeded inputs and float64 references shared by every contestant of a workload. Inputs are
 * float32 (what every library computes in); references accumulate in float64 from those same
 * float32 values, so each contestant's error is its own rounding, not the reference's.
 */

/** LCG in [0, 1), the same generator as shared/tools/anchor-bench (inputs are comparable). */
export const rng = (seed: number): (() => number) => {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 4294967296
  }
}

/** Uniform in [-scale, scale). */
export const randArray = (n: number, seed: number, scale = 1): Float32Array => {
  const r = rng(seed)
  const a = new Float32Array(n)
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale
  return a
}

/** C[m,n] = A[m,k] B[k,n] in float64 (row-major, ikj loop order). */
export const matmulF64 = (a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array => {
  const c = new Float64Array(m * n)
  for (let i = 0; i < m; i++) {
    const ci = i * n
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]!
      const bp = p * n
      for (let j = 0; j < n; j++) c[ci + j]! += av * b[bp + j]!
    }
  }
  return c
}

/** Adds `bias[n]` to every row of `z[m,n]` in place, then relu if asked. */
export const biasActF64 = (z: Float64Array, bias: ArrayLike<number>, m: number, n: number, relu: boolean): Float64Array => {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const v = z[i * n + j]! + bias[j]!
      z[i * n + j] = relu && v < 0 ? 0 : v
    }
  }
  return z
}

// ------------------------------------------------------------------ the MLP of the bench

/** Layer widths of the MLP workload: 784-300-100-10. */
export const MLP_DIMS = [784, 300, 100, 10] as const
export const MLP_BATCH = 128

export interface MlpParams {
  readonly w1: Float32Array
  readonly b1: Float32Array
  readonly w2: Float32Array
  readonly b2: Float32Array
  readonly w3: Float32Array
  readonly b3: Float32Array
}

export const MLP_SHAPES: Record<keyof MlpParams, readonly number[]> = {
  w1: [784, 300],
  b1: [300],
  w2: [300, 100],
  b2: [100],
  w3: [100, 10],
  b3: [10]
}

/** Weights scaled 1/sqrt(fan-in), biases in ±0.1, inputs in ±1 (seeds as in anchor-bench). */
export const mlpParams = (): MlpParams => ({
  w1: randArray(784 * 300, 11, 1 / Math.sqrt(784)),
  b1: randArray(300, 12, 0.1),
  w2: randArray(300 * 100, 13, 1 / Math.sqrt(300)),
  b2: randArray(100, 14, 0.1),
  w3: randArray(100 * 10, 15, 1 / Math.sqrt(100)),
  b3: randArray(10, 16, 0.1)
})

export const mlpInput = (): Float32Array => randArray(MLP_BATCH * 784, 17)

/** Logits [B,10] of relu(relu(x W1 + b1) W2 + b2) W3 + b3, in float64 (B = rows of x, default 128). */
export const mlpForwardF64 = (p: MlpParams, x: Float32Array): Float64Array => {
  const b = x.length / 784
  const h1 = biasActF64(matmulF64(x, p.w1, b, 784, 300), p.b1, b, 300, true)
  const h2 = biasActF64(matmulF64(h1, p.w2, b, 300, 100), p.b2, b, 100, true)
  return biasActF64(matmulF64(h2, p.w3, b, 100, 10), p.b3, b, 10, false)
}

/** FLOPs of the forward pass (2 per multiply-add; bias and relu not counted). */
export const MLP_FORWARD_FLOP = 2 * MLP_BATCH * (784 * 300 + 300 * 100 + 100 * 10)
