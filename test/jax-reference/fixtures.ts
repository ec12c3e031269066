/**
 * Reading the JAX reference fixtures (test/fixtures/jax-reference/*.json, written by
 * scripts/jax-reference/generate.py): decoding arguments into tanka values and outputs into
 * float64 arrays, and the tolerance of each op family.
 */
import { readdirSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { jax, jnp, type Tensor } from "../../src/index.js"

export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "jax-reference")

/** An encoded array: dtype, shape and row-major data (non-finite floats as strings). */
export interface EncodedArray {
  readonly dtype: "float32" | "int32" | "uint32" | "bool"
  readonly shape: number[]
  readonly data: Array<number | boolean | string>
}

export type Encoded = null | boolean | number | string | Encoded[] | { array: EncodedArray } | { key: number } | { index: Encoded[] } | { slice: Array<number | null> } | { [k: string]: Encoded }

/** One recorded JAX call: the output, or the error JAX raised. */
export interface FixtureCase {
  readonly id: string
  readonly op: string
  readonly args: Encoded[]
  readonly kw: Record<string, Encoded>
  readonly out?: Encoded
  readonly error?: string
}

export interface FixtureFile {
  readonly jax: string
  readonly family: string
  readonly cases: FixtureCase[]
}

/** Every fixture file, by family. */
export const loadFixtures = (): FixtureFile[] =>
  readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(FIXTURE_DIR, f), "utf8")) as FixtureFile)
    .filter((f) => Array.isArray(f.cases))

const num = (v: number | boolean | string): number =>
  typeof v === "boolean" ? (v ? 1 : 0) : v === "NaN" ? NaN : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : Number(v)

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** An encoded array as a tanka tensor of the same dtype and bits. */
export const toTensor = (a: EncodedArray): Tensor => {
  const values = a.data.map(num)
  switch (a.dtype) {
    case "float32":
      return jnp.array(Float32Array.from(values), { shape: a.shape })
    case "int32":
      return jnp.array(Int32Array.from(values), { shape: a.shape })
    case "uint32":
      return jnp.array(Uint32Array.from(values), { shape: a.shape })
    case "bool":
      return jnp.array(Uint8Array.from(values), { shape: a.shape, dtype: "bool" })
  }
}

/** An argument as tanka takes it: arrays become tensors, `{key}` a PRNG key, `{index}` the entries of `jnp.at`. */
export const decode = (v: Encoded): unknown => {
  if (v === null || typeof v === "boolean" || typeof v === "number") return v
  if (typeof v === "string") return v === "NaN" || v === "Infinity" || v === "-Infinity" ? num(v) : v
  if (Array.isArray(v)) return v.map(decode)
  if ("array" in v && isObj(v.array)) return toTensor(v.array as unknown as EncodedArray)
  if ("key" in v && typeof v.key === "number") return jax.random.key(v.key)
  if ("index" in v && Array.isArray(v.index)) {
    return v.index.map((e) => (isObj(e) && "slice" in e ? (e.slice as Array<number | null>).map((s) => (s === null ? undefined : s)) : decode(e as Encoded)))
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x as Encoded)]))
}

/** snake_case keyword arguments as tanka's camelCase options. */
export const camelKw = (kw: Record<string, Encoded>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(kw).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), decode(v)]))

/** An expected output: one array, or a list of arrays (tuples, split pieces). */
export type Expected = EncodedArray | Expected[]

export const expectedOf = (out: Encoded): Expected => {
  if (Array.isArray(out)) return out.map(expectedOf)
  if (isObj(out) && "array" in out) return out.array as EncodedArray
  throw new Error(`fixture output is not an array: ${JSON.stringify(out).slice(0, 80)}`)
}

export const expectedValues = (e: EncodedArray): Float64Array => Float64Array.from(e.data.map(num))

/**
 * Tolerances per op family, for float32 outputs: |tanka - JAX| <= atol + rtol·|JAX|. Integer and
 * bool outputs (indices, counts, random bits and integers, comparisons) must be exactly equal in
 * every family; so must every float that is moved rather than computed (sorts, gathers, pads).
 */
export const TOLERANCES: Record<string, { readonly rtol: number; readonly atol: number; readonly why: string }> = {
  elementwise: { rtol: 1e-6, atol: 1e-7, why: "one float32 rounding of each function, computed by different approximations (XLA's polynomials vs tanka's kernels): within a few ulp" },
  reductions: { rtol: 1e-5, atol: 1e-6, why: "float32 sums in a different order (the 3000-term sum differs by 6.5e-6 relative)" },
  nn: { rtol: 2e-6, atol: 1e-6, why: "a few elementwise steps and reductions composed" },
  linalg: { rtol: 2e-6, atol: 2e-6, why: "dot products summed in a different order (XLA blocks and fuses)" },
  shapes: { rtol: 4e-7, atol: 0, why: "data movement is exact; linspace may differ by an ulp (XLA turns its division into a multiplication)" },
  sorting: { rtol: 1e-5, atol: 1e-6, why: "sorted values and indices are exact; cumulative sums are summed in a different order" },
  random: { rtol: 4e-6, atol: 1e-7, why: "bits, keys and integers are exact; floats go through log and erf_inv, whose float32 approximations differ in the last bits" },
  transforms: { rtol: 2e-5, atol: 2e-6, why: "gradients chain several float32 roundings" }
}
