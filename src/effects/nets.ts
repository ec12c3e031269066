/** `hk.nets`: stock networks. Haiku: `hk.nets`. */
export { MLP, type MLPOptions } from "./modules/MLP.js"
