/**
 * Errors of the wrapped control flow (`hk.scan`, `hk.foriLoop`, `hk.whileLoop`, `hk.cond`,
 * `hk.switch`, `hk.layerStack`). Raised as defects, like the other Haiku errors; each message
 * says what happened, why, and the fix, and the facts are fields.
 */
import { Data } from "effect"

/**
 * Parameters were created in a loop body after its first step (or in a `whileLoop` body):
 * a traced loop body runs once for every step, so it can only read parameters.
 *
 * Haiku: `AssertionError(f"New parameters were created: {list(sorted(diff))}")` from
 * `assert_no_new_parameters` (used by `hk.scan`).
 *
 * @example
 * // a body that creates "linear_1/w" only on its second step dies with
 * // NewParametersError { transform: "hk.scan", params: ["linear_1/b", "linear_1/w"] }
 */
export class NewParametersError extends Data.TaggedError("NewParametersError")<{
  readonly transform: string
  readonly params: ReadonlyArray<string>
  readonly message: string
}> {
  /** The error with its message built from these facts (the message names the fix). */
  static make(transform: string, params: ReadonlyArray<string>): NewParametersError {
    const sorted = [...params].sort()
    return new NewParametersError({
      transform,
      params: sorted,
      message:
        `New parameters were created: [${sorted.map((p) => `'${p}'`).join(", ")}]. ${transform} runs its first step unrolled during init (creating the parameters) ` +
        `and traces the remaining steps once as a loop body, which can only read parameters. Create every parameter on the first step ` +
        `(construct modules outside the body and call them inside, or give each step the same module names).`
    })
  }
}

/**
 * Branches of `hk.cond` / `hk.switch` created different parameters or state during init, so
 * the result of the cond would have a different structure depending on the branch taken.
 *
 * Haiku: JAX's "true_fun and false_fun output must have the same pytree structure" plus
 * Haiku's `RUNNING_INIT_HINT` (which no longer matches current JAX's text, so Haiku users
 * see the bare JAX error).
 *
 * @example
 * // hk.cond(p, () => hk.Linear(3)…, () => x) during init dies with
 * // BranchStructureError { transform: "hk.cond", created: { trueFn: ["linear/b", "linear/w"], falseFn: [] } }
 */
export class BranchStructureError extends Data.TaggedError("BranchStructureError")<{
  readonly transform: string
  readonly created: Readonly<Record<string, ReadonlyArray<string>>>
  readonly message: string
}> {
  /** The error with its message built from these facts (the message names the fix). */
  static make(transform: string, created: Record<string, ReadonlyArray<string>>): BranchStructureError {
    const show = Object.entries(created)
      .map(([b, names]) => `${b} creates [${names.join(", ")}]`)
      .join("; ")
    return new BranchStructureError({
      transform,
      created,
      message:
        `${transform}: the branches create different parameters/state during init (${show}), so the params would depend on the branch taken. ` +
        `At init time you should unconditionally create the parameters of all modules regardless of branch choice: ` +
        `if (yield* hk.runningInit()) { run every branch } else { yield* ${transform}(…) } — or create the modules' parameters before the ${transform}.`
    })
  }
}
