import { decodeSafetensors } from "../src/nn/checkpoint/safetensors.js"
const mk = (text: string) => { const h = new TextEncoder().encode(text); const out = new Uint8Array(8 + h.length); new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true); out.set(h, 8); return out }
const n = Number(process.argv[2] ?? 100000)
const kind = process.argv[3] ?? "tensors"
const parts: string[] = []
if (kind === "tensors") for (let i = 0; i < n; i++) parts.push(`"m/w${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`)
else { const m: string[] = []; for (let i = 0; i < n; i++) m.push(`"k${i}":"v"`); parts.push(`"__metadata__":{${m.join(",")}}`) }
const bytes = mk(`{${parts.join(",")}}`)
console.log("header MB", (bytes.length / 1e6).toFixed(1))
global.gc?.()
const h0 = process.memoryUsage().heapUsed
const t0 = performance.now()
try { decodeSafetensors(bytes) } catch (e: any) { console.log("err", String(e.message).slice(0, 200)) }
console.log(kind, n, "ms", (performance.now() - t0).toFixed(0), "heap MB", ((process.memoryUsage().heapUsed - h0) / 1e6).toFixed(0), "rss", (process.memoryUsage().rss / 1e6).toFixed(0))
