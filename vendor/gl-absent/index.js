"use strict";
// headless-gl is deliberately not built (a ~5 minute native build that fails quietly on
// machines without libxi-dev). gpu.js calls this factory to probe for WebGL; null = absent.
module.exports = function createContext() { return null; };
