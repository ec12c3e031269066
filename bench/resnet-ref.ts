/**
 * The parameter layout and a float64 forward pass (inference: batchnorm from its moving averages)
 * of Haiku's ResNet v1 with bottleneck blocks (`hk.nets.ResNet50`'s architecture), written
 * independently of tanka, from Haiku's definition: the bench's reference for ResNet rows.
 *
 * Layout: NHWC activations, HWIO kernels, SAME padding as XLA computes it (total padding
 * max((out-1)·stride + k - in, 0), the smaller half before), max pool padding as -infinity.
 */

export interface ResNetSpec {
  /** Module name, e.g. `res_net50`. */
  readonly root: string
  readonly blocksPerGroup: ReadonlyArray<number>
  readonly channelsPerGroup: ReadonlyArray<number>
  readonly strides: ReadonlyArray<number>
  readonly initialChannels: number
  readonly inChannels: number
  readonly numClasses: number
}

/** Haiku's ResNet50 (v1, bottleneck, [3, 4, 6, 3] blocks, 256–2048 channels, 64 initial channels). */
export const resnet50Spec = (numClasses: number, inChannels = 3): ResNetSpec => ({
  root: "res_net50",
  blocksPerGroup: [3, 4, 6, 3],
  channelsPerGroup: [256, 512, 1024, 2048],
  strides: [1, 2, 2, 2],
  initialChannels: 64,
  inChannels,
  numClasses
})

/** Shapes by module and name: `params[module][name]`, `state[module][name]` (EMA hidden/average/counter). */
export interface Layout {
  readonly params: Record<string, Record<string, number[]>>
  readonly state: Record<string, Record<string, number[]>>
}

/** The module tree of `spec` (names and shapes, as Haiku names them). */
export const layout = (spec: ResNetSpec): Layout => {
  const params: Layout["params"] = {}
  const state: Layout["state"] = {}
  const conv = (path: string, k: number, cin: number, cout: number) => (params[path] = { w: [k, k, cin, cout] })
  const bn = (path: string, c: number) => {
    params[path] = { offset: [1, 1, 1, c], scale: [1, 1, 1, c] }
    for (const ema of ["mean_ema", "var_ema"]) state[`${path}/~/${ema}`] = { average: [1, 1, 1, c], counter: [], hidden: [1, 1, 1, c] }
  }
  const r = spec.root
  conv(`${r}/~/initial_conv`, 7, spec.inChannels, spec.initialChannels)
  bn(`${r}/~/initial_batchnorm`, spec.initialChannels)
  let cin = spec.initialChannels
  spec.channelsPerGroup.forEach((c, g) => {
    for (let i = 0; i < spec.blocksPerGroup[g]!; i++) {
      const b = `${r}/~/block_group_${g}/~/block_${i}`
      if (i === 0) {
        conv(`${b}/~/shortcut_conv`, 1, cin, c)
        bn(`${b}/~/shortcut_batchnorm`, c)
      }
      conv(`${b}/~/conv_0`, 1, cin, c / 4)
      bn(`${b}/~/batchnorm_0`, c / 4)
      conv(`${b}/~/conv_1`, 3, c / 4, c / 4)
      bn(`${b}/~/batchnorm_1`, c / 4)
      conv(`${b}/~/conv_2`, 1, c / 4, c)
      bn(`${b}/~/batchnorm_2`, c)
      cin = c
    }
  })
  params[`${r}/~/logits`] = { b: [spec.numClasses], w: [cin, spec.numClasses] }
  return { params, state }
}

/** Number of values in every leaf of a layout part. */
export const layoutSize = (part: Layout["params"]): number =>
  Object.values(part).reduce((s, m) => s + Object.values(m).reduce((t, shape) => t + shape.reduce((a, d) => a * d, 1), 0), 0)

/** `{shape}` leaves of a tree `[module][name]` that differ from the layout (missing, extra or another shape). */
export const layoutMismatches = (part: Layout["params"], tree: Record<string, Record<string, { readonly shape: ReadonlyArray<number> }>>): string[] => {
  const bad: string[] = []
  for (const [m, names] of Object.entries(part)) {
    for (const [n, shape] of Object.entries(names)) {
      const got = tree[m]?.[n]?.shape
      if (!got || got.join(",") !== shape.join(",")) bad.push(`${m}/${n}: ${got ? `[${got.join(", ")}]` : "missing"}, expected [${shape.join(", ")}]`)
    }
  }
  for (const [m, names] of Object.entries(tree)) for (const n of Object.keys(names)) if (!part[m]?.[n]) bad.push(`${m}/${n}: not in the layout`)
  return bad
}

/** Values of the tree, by module and name (float32 as stored, read once). */
export type Values = Record<string, Record<string, ArrayLike<number>>>

interface Act {
  readonly data: Float64Array
  readonly h: number
  readonly w: number
  readonly c: number
}

/** XLA's SAME padding: (total, before) for one spatial dim. */
const same = (n: number, k: number, s: number): [number, number] => {
  const out = Math.ceil(n / s)
  const total = Math.max((out - 1) * s + k - n, 0)
  return [out, Math.floor(total / 2)]
}

/** NHWC conv (batch 1), HWIO kernel, SAME padding. */
const conv2d = (x: Act, w: ArrayLike<number>, k: number, stride: number, cout: number): Act => {
  const [oh, ph] = same(x.h, k, stride)
  const [ow, pw] = same(x.w, k, stride)
  const w64 = Float64Array.from(w)
  const out = new Float64Array(oh * ow * cout)
  const acc = new Float64Array(cout)
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      acc.fill(0)
      for (let a = 0; a < k; a++) {
        const ih = i * stride + a - ph
        if (ih < 0 || ih >= x.h) continue
        for (let b = 0; b < k; b++) {
          const iw = j * stride + b - pw
          if (iw < 0 || iw >= x.w) continue
          const xb = (ih * x.w + iw) * x.c
          const wb = (a * k + b) * x.c * cout
          for (let ci = 0; ci < x.c; ci++) {
            const xv = x.data[xb + ci]!
            if (xv === 0) continue
            const wr = wb + ci * cout
            for (let o = 0; o < cout; o++) acc[o]! += xv * w64[wr + o]!
          }
        }
      }
      out.set(acc, (i * ow + j) * cout)
    }
  }
  return { data: out, h: oh, w: ow, c: cout }
}

/** Inference batchnorm: (x - mean) · scale / sqrt(var + eps) + offset, per channel. */
const batchnorm = (x: Act, p: Record<string, ArrayLike<number>>, mean: ArrayLike<number>, variance: ArrayLike<number>, relu: boolean, eps = 1e-5): Act => {
  const out = new Float64Array(x.data.length)
  for (let i = 0; i < x.data.length; i++) {
    const ch = i % x.c
    const v = ((x.data[i]! - mean[ch]!) * p["scale"]![ch]!) / Math.sqrt(variance[ch]! + eps) + p["offset"]![ch]!
    out[i] = relu && v < 0 ? 0 : v
  }
  return { ...x, data: out }
}

const maxPool = (x: Act, k: number, stride: number): Act => {
  const [oh, ph] = same(x.h, k, stride)
  const [ow, pw] = same(x.w, k, stride)
  const out = new Float64Array(oh * ow * x.c).fill(Number.NEGATIVE_INFINITY)
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      for (let a = 0; a < k; a++) {
        const ih = i * stride + a - ph
        if (ih < 0 || ih >= x.h) continue
        for (let b = 0; b < k; b++) {
          const iw = j * stride + b - pw
          if (iw < 0 || iw >= x.w) continue
          for (let c = 0; c < x.c; c++) {
            const v = x.data[(ih * x.w + iw) * x.c + c]!
            const o = (i * ow + j) * x.c + c
            if (v > out[o]!) out[o] = v
          }
        }
      }
    }
  }
  return { data: out, h: oh, w: ow, c: x.c }
}

/**
 * Logits `[batch, numClasses]` of ResNet v1 (bottleneck blocks) in inference mode, in float64,
 * for images `x` `[batch, H, W, inChannels]` (NHWC) and the given params and state values.
 */
export const resnetForwardF64 = (spec: ResNetSpec, params: Values, state: Values, x: ArrayLike<number>, batch: number, size: number): Float64Array => {
  const r = spec.root
  const logits = new Float64Array(batch * spec.numClasses)
  const bn = (a: Act, path: string, relu: boolean) =>
    batchnorm(a, params[path]!, state[`${path}/~/mean_ema`]!["average"]!, state[`${path}/~/var_ema`]!["average"]!, relu)
  const per = size * size * spec.inChannels
  for (let n = 0; n < batch; n++) {
    let a: Act = { data: Float64Array.from({ length: per }, (_, i) => x[n * per + i]!), h: size, w: size, c: spec.inChannels }
    a = bn(conv2d(a, params[`${r}/~/initial_conv`]!["w"]!, 7, 2, spec.initialChannels), `${r}/~/initial_batchnorm`, true)
    a = maxPool(a, 3, 2)
    spec.channelsPerGroup.forEach((c, g) => {
      for (let i = 0; i < spec.blocksPerGroup[g]!; i++) {
        const b = `${r}/~/block_group_${g}/~/block_${i}`
        const stride = i === 0 ? spec.strides[g]! : 1
        const shortcut = i === 0 ? bn(conv2d(a, params[`${b}/~/shortcut_conv`]!["w"]!, 1, stride, c), `${b}/~/shortcut_batchnorm`, false) : a
        let h = bn(conv2d(a, params[`${b}/~/conv_0`]!["w"]!, 1, 1, c / 4), `${b}/~/batchnorm_0`, true)
        h = bn(conv2d(h, params[`${b}/~/conv_1`]!["w"]!, 3, stride, c / 4), `${b}/~/batchnorm_1`, true)
        h = bn(conv2d(h, params[`${b}/~/conv_2`]!["w"]!, 1, 1, c), `${b}/~/batchnorm_2`, false)
        const sum = new Float64Array(h.data.length)
        for (let k = 0; k < sum.length; k++) sum[k] = Math.max(h.data[k]! + shortcut.data[k]!, 0)
        a = { ...h, data: sum }
      }
    })
    // spatial mean, then the logits layer
    const feat = new Float64Array(a.c)
    for (let k = 0; k < a.data.length; k++) feat[k % a.c]! += a.data[k]!
    for (let ch = 0; ch < a.c; ch++) feat[ch]! /= a.h * a.w
    const lw = params[`${r}/~/logits`]!["w"]!
    const lb = params[`${r}/~/logits`]!["b"]!
    for (let o = 0; o < spec.numClasses; o++) {
      let s = lb[o]!
      for (let ch = 0; ch < a.c; ch++) s += feat[ch]! * lw[ch * spec.numClasses + o]!
      logits[n * spec.numClasses + o] = s
    }
  }
  return logits
}

/** Multiply-adds of the forward pass per image (convolutions and the logits layer). */
export const resnetMacs = (spec: ResNetSpec, size: number): number => {
  let macs = 0
  let h = size
  const convMacs = (hin: number, k: number, s: number, cin: number, cout: number): number => {
    const out = Math.ceil(hin / s)
    macs += out * out * k * k * cin * cout
    return out
  }
  h = convMacs(h, 7, 2, spec.inChannels, spec.initialChannels)
  h = Math.ceil(h / 2)
  let cin = spec.initialChannels
  spec.channelsPerGroup.forEach((c, g) => {
    for (let i = 0; i < spec.blocksPerGroup[g]!; i++) {
      const s = i === 0 ? spec.strides[g]! : 1
      if (i === 0) convMacs(h, 1, s, cin, c)
      convMacs(h, 1, 1, cin, c / 4)
      const h2 = convMacs(h, 3, s, c / 4, c / 4)
      convMacs(h2, 1, 1, c / 4, c)
      h = h2
      cin = c
    }
  })
  return macs + cin * spec.numClasses
}
