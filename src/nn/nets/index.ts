/**
 * `hk.nets`: stock networks. Haiku: `hk.nets`.
 *
 * @module
 */
export { MLP, type MLPOptions } from "./MLP.js"
export { ResNet, ResNet18, ResNet34, ResNet50, RESNET_CONFIGS, type ResNetConfig, type ResNetOptions, type BnConfig } from "./ResNet.js"
export { VectorQuantizer, type VectorQuantizerOptions, type VectorQuantizerOutput } from "./VectorQuantizer.js"
