/**
 * Concurrency: Haiku's state lives in each run's frame, provided in the running fiber's context,
 * so fibers that interleave never share it. Many `init`/`apply` fibers suspend (`Effect.sleep`,
 * `Effect.yieldNow`) inside `hk.transform` bodies, inside modules and inside a lifted inner init
 * (those are Effect handlers and may suspend); the wrapped transforms (`hk.vmap`, `hk.scan`) trace
 * synchronously (a suspending body is an `AsyncBodyError`), so fibers interleave around them.
 *
 * Each property draws a random schedule per fiber (sleep lengths, yield counts, where they fall),
 * random seeds and input shapes, runs every fiber alone first and then all of them at once
 * (`Effect.all(…, { concurrency: "unbounded" })`), and checks, bit for bit: init params, apply
 * outputs, the rng keys `hk.nextRngKey` drew, and per-fiber state counters. The nested-transform
 * detector (`NestedTransformError`) must stay silent for fibers that merely interleave, and fire
 * for the one fiber in the same run that really nests an init without `hk.lift`.
 */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { Cause, Effect, Exit } from "effect"
import { hk, jax, jnp, type Tensor } from "../../src/index.js"

/** A pause: `sleep` milliseconds, or `yields` × `Effect.yieldNow`. */
type Pause = { readonly sleep: number } | { readonly yields: number }
const arbPause: fc.Arbitrary<Pause> = fc.oneof(fc.record({ sleep: fc.integer({ min: 0, max: 3 }) }), fc.record({ yields: fc.integer({ min: 0, max: 4 }) }))
const pause = (p: Pause | undefined): Effect.Effect<void> =>
  p === undefined ? Effect.void : "sleep" in p ? Effect.sleep(`${p.sleep} millis`) : Effect.forEach(Array.from({ length: p.yields }), () => Effect.yieldNow, { discard: true })

/** One fiber's job: its seed, its input's shape and where it pauses (six points in the body). */
interface Job {
  readonly seed: number
  readonly batch: number
  readonly width: number
  readonly pauses: ReadonlyArray<Pause>
  /** Build the init/apply Effect only after a first pause, inside the fiber (else up front). */
  readonly lazy: boolean
}
const arbJob: fc.Arbitrary<Job> = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  batch: fc.integer({ min: 1, max: 3 }),
  width: fc.integer({ min: 1, max: 4 }),
  pauses: fc.array(arbPause, { minLength: 7, maxLength: 7 }),
  lazy: fc.boolean()
})

const bits = (t: Tensor): number[] => Array.from(new Uint32Array(new Float32Array(t.toTypedArray() as Float32Array).buffer))
const treeBits = (tree: Record<string, Record<string, Tensor>>) =>
  Object.fromEntries(Object.entries(tree).map(([m, b]) => [m, Object.fromEntries(Object.entries(b).map(([n, v]) => [n, v.dtype === "float32" ? bits(v) : v.toArray()]))]))

/** An inner network, lifted by the outer one: its init body pauses too. */
const innerNet = (ps: ReadonlyArray<Pause>) => (x: Tensor) =>
  Effect.gen(function* () {
    const lin = yield* hk.Linear(2, { name: "inner_linear" })
    yield* pause(ps[5])
    return yield* lin(x)
  })

/**
 * The body every fiber runs: a module whose body pauses, rng keys drawn around pauses, a lifted
 * inner transform whose init pauses, hk.vmap (synchronous) between pauses, and a state counter
 * read and written with a pause in between.
 */
const body = (ps: ReadonlyArray<Pause>) => {
  const inner = hk.transform(innerNet(ps))
  const Scale = hk.module("scale", (self) => (x: Tensor) =>
    self.call(
      Effect.gen(function* () {
        const s = yield* hk.getParameter("s", [x.shape[1]!], hk.initializers.RandomNormal())
        yield* pause(ps[0])
        return jnp.multiply(x, s)
      })
    )
  )
  return (x: Tensor) =>
    Effect.gen(function* () {
      const scale = yield* Scale
      const h = yield* scale(x)
      const k1 = yield* hk.nextRngKey()
      yield* pause(ps[1])
      const innerParams = yield* hk.lift(inner.init, { name: "inner" })(yield* hk.nextRngKey(), h)
      const z = yield* inner.apply(innerParams, null, h)
      yield* pause(ps[2])
      const mapped = yield* hk.vmap((row: Tensor) => Effect.flatMap(hk.Linear(3, { name: "rows" }), (l) => l(row)), { splitRng: false })(z)
      const k2 = yield* hk.nextRngKey()
      const n = yield* hk.getState("count", [], jnp.zeros)
      yield* pause(ps[3])
      yield* hk.setState("count", jnp.add(n, 1))
      yield* hk.setState("last", jnp.sum(x))
      yield* pause(ps[4])
      return { y: mapped, keys: [jax.random.keyData(k1), jax.random.keyData(k2)] }
    })
}

/** What one fiber computes: init params/state, then three applies threading the state. */
const jobRun = (job: Job) => {
  const t = hk.transformWithState(body(job.pauses))
  const x = jax.random.normal(jax.random.key(job.seed ^ 0x5eed), [job.batch, job.width])
  const build = () =>
    Effect.gen(function* () {
      const [params, state0] = yield* t.init(jax.random.key(job.seed), x)
      let state = state0
      const outs: Array<{ y: Tensor; keys: Tensor[] }> = []
      for (let i = 0; i < 3; i++) {
        yield* pause(job.pauses[6])
        const [out, s] = yield* t.apply(params, state, jax.random.key(job.seed + i + 1), x)
        outs.push(out)
        state = s
      }
      return {
        params: treeBits(params as Record<string, Record<string, Tensor>>),
        state0: treeBits(state0 as Record<string, Record<string, Tensor>>),
        state: treeBits(state as Record<string, Record<string, Tensor>>),
        outs: outs.map((o) => ({ y: bits(o.y), keys: o.keys.map((k) => k.toArray()) })),
        count: (state as Record<string, Record<string, Tensor>>)["~"]!["count"]!.toArray(),
        last: (state as Record<string, Record<string, Tensor>>)["~"]!["last"]!.toArray(),
        xsum: jnp.sum(x).toArray()
      }
    })
  return job.lazy ? Effect.andThen(pause(job.pauses[0]), Effect.suspend(build)) : build()
}

const runAlone = (jobs: ReadonlyArray<Job>) => Effect.runPromise(Effect.forEach(jobs, jobRun))
const runTogether = (jobs: ReadonlyArray<Job>) => Effect.runPromise(Effect.all(jobs.map(jobRun), { concurrency: "unbounded" }))

const isNested = (exit: Exit.Exit<unknown, unknown>): boolean =>
  Exit.isFailure(exit) && Cause.prettyErrors(exit.cause).some((e) => (e as { _tag?: string })._tag === "NestedTransformError" || /NestedTransformError|without hk\.lift/.test(String(e)))

describe("fibers interleaving inside transforms, modules, lifts and around wrapped transforms share nothing", () => {
  it("init params, apply outputs, rng keys and state of concurrent fibers equal each fiber's run alone (bitwise)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbJob, { minLength: 2, maxLength: 5 }), async (jobs) => {
        const alone = await runAlone(jobs)
        const together = await runTogether(jobs)
        expect(together).toEqual(alone)
        jobs.forEach((_, i) => {
          // each fiber's counter counts its own three applies, and "last" is its own input's sum
          expect(together[i]!.count).toEqual(3)
          expect(together[i]!.last).toEqual(together[i]!.xsum)
          expect(Object.keys(together[i]!.params).sort()).toEqual(["inner/inner_linear", "rows", "scale"])
        })
      }),
      { numRuns: 12 }
    )
  })

  it("the runs really interleave: a fiber's body is suspended while another's runs", async () => {
    // a witness that the schedule above is concurrent, not sequential: two fibers log entry and exit
    const log: string[] = []
    const traced = (name: string) =>
      hk.transform((x: Tensor) =>
        Effect.gen(function* () {
          log.push(`${name}:in`)
          yield* Effect.sleep("5 millis")
          const l = yield* hk.Linear(2)
          log.push(`${name}:out`)
          return yield* l(x)
        })
      )
    await Effect.runPromise(Effect.all([traced("a").init(jax.random.key(0), jnp.ones([1, 2])), traced("b").init(jax.random.key(1), jnp.ones([1, 2]))], { concurrency: "unbounded" }))
    expect(log).toEqual(["a:in", "b:in", "a:out", "b:out"])
  })

  it("the nested-transform detector fires for the fiber that nests an init without lift, and for no interleaving fiber", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbJob, { minLength: 2, maxLength: 4 }), fc.nat(), arbPause, async (jobs, at, p) => {
        const inner = hk.transform(innerNet([]))
        // the real nesting: inner.init inside the outer body, after a pause, without hk.lift
        const nesting = hk.transform((x: Tensor) => Effect.andThen(pause(p), inner.init(jax.random.key(0), x)))
        const nestingRun = Effect.asVoid(nesting.init(jax.random.key(0), jnp.ones([1, 2])))
        const runs: Array<Effect.Effect<unknown, unknown>> = jobs.map(jobRun)
        const where = at % (runs.length + 1)
        runs.splice(where, 0, nestingRun)
        const exits = await Effect.runPromise(Effect.all(runs.map((r) => Effect.exit(r)), { concurrency: "unbounded" }))
        exits.forEach((exit, i) => {
          if (i === where) expect(isNested(exit)).toBe(true)
          else expect(Exit.isSuccess(exit), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "").toBe(true)
        })
      }),
      { numRuns: 10 }
    )
  })

  it("an init run in a fiber of its own (runPromise) from a sibling fiber is not taken for a nesting while another fiber is suspended mid-body", async () => {
    const t = hk.transform((x: Tensor) =>
      Effect.gen(function* () {
        yield* Effect.sleep("3 millis")
        return yield* Effect.flatMap(hk.Linear(2), (l) => l(x))
      })
    )
    const x = jnp.ones([1, 2])
    const own = Effect.promise(() => Effect.runPromise(Effect.andThen(Effect.sleep("1 millis"), t.init(jax.random.key(5), x))))
    const [a, b] = await Effect.runPromise(Effect.all([t.init(jax.random.key(4), x), Effect.andThen(Effect.yieldNow, own)], { concurrency: "unbounded" }))
    expect(treeBits(a)).toEqual(treeBits(await Effect.runPromise(t.init(jax.random.key(4), x))))
    expect(treeBits(b)).toEqual(treeBits(await Effect.runPromise(t.init(jax.random.key(5), x))))
  })
})

describe("fibers interleaving around wrapped transforms (whose bodies must not suspend)", () => {
  it("hk.scan and hk.vmap called by many fibers, with pauses between calls, give each fiber its sequential result", async () => {
    const net = (ps: ReadonlyArray<Pause>) => (xs: Tensor) =>
      Effect.gen(function* () {
        const cell = yield* hk.Linear(xs.shape[2]!, { name: "cell" })
        yield* pause(ps[0])
        const [carry] = yield* hk.scan((c: Tensor, x: Tensor) => Effect.map(cell(jnp.add(c, x)), (h) => [jnp.tanh(h), h] as const), jnp.zeros(xs.shape.slice(1)), xs)
        yield* pause(ps[1])
        const noise = yield* hk.vmap((row: Tensor) => Effect.map(hk.nextRngKey(), (k) => jnp.add(row, jax.random.normal(k, row.shape))), { splitRng: true })(carry)
        yield* pause(ps[2])
        return noise
      })
    const one = (job: Job) => {
      const t = hk.transform(net(job.pauses))
      const xs = jax.random.normal(jax.random.key(job.seed), [2, job.batch, job.width])
      return Effect.gen(function* () {
        const params = yield* t.init(jax.random.key(job.seed), xs)
        yield* pause(job.pauses[3])
        const y = yield* t.apply(params, jax.random.key(job.seed + 1), xs)
        return { params: treeBits(params), y: bits(y) }
      })
    }
    await fc.assert(
      fc.asyncProperty(fc.array(arbJob, { minLength: 2, maxLength: 5 }), async (jobs) => {
        const alone = await Effect.runPromise(Effect.forEach(jobs, one))
        const together = await Effect.runPromise(Effect.all(jobs.map(one), { concurrency: "unbounded" }))
        expect(together).toEqual(alone)
      }),
      { numRuns: 10 }
    )
  })
})
