/**
 * `jax.config`: a typed subset of JAX's runtime options. Today the two NaN-hunting flags.
 */
import { ConfigError } from "../transforms/core/errors.js"
import { readInfs, readNans, setInfs, setNans } from "../transforms/core/debugNans.js"

/**
 * The options `jax.config` holds, by tanka's camelCase names.
 *
 * - `debugNans` (JAX: `jax_debug_nans`): the first primitive whose result holds a NaN raises a
 *   `FloatingPointError` naming it. NaN only: `exp(1000)` is Inf and passes.
 * - `debugInfs` (JAX: `jax_debug_infs`): the same for +Inf and -Inf (`exp(1000)`, `1/0`, `log(0)`).
 *   NaN only when `debugNans` is on too.
 *
 * Both are off by default, and then cost one boolean test per primitive. On, every float result
 * of an eagerly evaluated primitive is scanned on the host (on GPU modes each result is downloaded);
 * `jax.jit` checks its compiled outputs only and, when one holds the value, re-runs op by op.
 */
export interface ConfigOptions {
  readonly debugNans: boolean
  readonly debugInfs: boolean
}

/** An option's name: tanka's camelCase, or JAX's spelling (`"jax_debug_nans"`). */
export type ConfigName = keyof ConfigOptions | "jax_debug_nans" | "jax_debug_infs"

const canonical = (name: string): keyof ConfigOptions | null =>
  name === "debugNans" || name === "jax_debug_nans" ? "debugNans" : name === "debugInfs" || name === "jax_debug_infs" ? "debugInfs" : null

const known = "debugNans, debugInfs (JAX's jax_debug_nans, jax_debug_infs)"

const optionOf = (name: string, api: string): keyof ConfigOptions => {
  const key = canonical(name)
  if (key === null) {
    throw new ConfigError({ option: String(name), message: `${api}: unknown option ${JSON.stringify(name)}; tanka's jax.config has ${known}.` })
  }
  return key
}

/**
 * Runtime options, as `jax.config`: `update(name, value)` sets one, `read(name)` returns it, and
 * `config.debugNans` / `config.debugInfs` read them.
 *
 * JAX: `jax.config.update("jax_debug_nans", True)`, `jax.config.jax_debug_nans`.
 *
 * @example
 * jax.config.update("debugNans", true)
 * jnp.log(jnp.array([-1])) // throws FloatingPointError: invalid value (nan) encountered in log …
 * jax.config.update("debugNans", false)
 */
export const config = {
  /** Set option `name` (`"debugNans"`, `"debugInfs"`, or JAX's `"jax_debug_nans"`, `"jax_debug_infs"`). */
  update(name: ConfigName, value: boolean): void {
    const key = optionOf(name, "jax.config.update")
    if (typeof value !== "boolean") {
      throw new ConfigError({ option: key, message: `jax.config.update: ${key} takes true or false, got ${typeof value === "string" ? JSON.stringify(value) : String(value)}.` })
    }
    if (key === "debugNans") setNans(value)
    else setInfs(value)
  },
  /** The current value of option `name`. */
  read(name: ConfigName): boolean {
    return optionOf(name, "jax.config.read") === "debugNans" ? readNans() : readInfs()
  },
  /** Whether `debugNans` is on. */
  get debugNans(): boolean {
    return readNans()
  },
  /** Whether `debugInfs` is on. */
  get debugInfs(): boolean {
    return readInfs()
  }
}

/**
 * Turn `debugNans` on or off: `jax.config.update("debugNans", on)`.
 *
 * JAX: `jax.config.update("jax_debug_nans", on)` (and the `jax.debug_nans(on)` context manager).
 *
 * @example
 * jax.setDebugNans(true)
 */
export const setDebugNans = (on: boolean): void => config.update("debugNans", on)

/**
 * Turn `debugInfs` on or off: `jax.config.update("debugInfs", on)`.
 *
 * JAX: `jax.config.update("jax_debug_infs", on)`.
 *
 * @example
 * jax.setDebugInfs(true)
 * jnp.exp(jnp.array([1000])) // throws FloatingPointError: invalid value (inf) encountered in exp …
 */
export const setDebugInfs = (on: boolean): void => config.update("debugInfs", on)
