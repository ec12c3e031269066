/**
 * A tiny static file server on 127.0.0.1 (random free port by default) for the browser tests
 * and the demo. Serves `routes` (URL prefix -> directory) with no directory listing and no
 * path escapes.
 */
import { createReadStream, statSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { extname, join, normalize, sep } from "node:path"

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
  ".css": "text/css",
  ".png": "image/png",
  ".bin": "application/octet-stream"
}

/** A running server: its base URL and a close function. */
export interface Served {
  readonly url: string
  readonly close: () => Promise<void>
}

/** Serves `routes` (e.g. `{ "/": "examples/browser", "/build/": ".tmp/browser" }`), longest prefix first. */
export const serve = (routes: Record<string, string>, port = 0): Promise<Served> => {
  const ordered = Object.entries(routes).sort((a, b) => b[0].length - a[0].length)
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)
    const route = ordered.find(([prefix]) => path.startsWith(prefix))
    if (route === undefined) return void res.writeHead(404).end("not found")
    const rel = normalize(path.slice(route[0].length) || "index.html")
    const file = join(route[1], rel)
    if (rel.startsWith("..") || !file.startsWith(normalize(route[1]) + sep) && file !== normalize(route[1])) return void res.writeHead(403).end("forbidden")
    try {
      if (!statSync(file).isFile()) throw new Error("not a file")
    } catch {
      return void res.writeHead(404).end("not found")
    }
    // cross-origin isolation (COOP + COEP): pages get SharedArrayBuffer, so tanka's wasm-simd
    // kernels can use Web Workers over one shared WebAssembly memory
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-embedder-policy": "require-corp"
    })
    createReadStream(file).pipe(res)
  })
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => {
      const { port: actual } = server.address() as AddressInfo
      resolvePromise({ url: `http://127.0.0.1:${actual}/`, close: () => new Promise((r) => server.close(() => r())) })
    })
  })
}
