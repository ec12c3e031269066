/**
 * Stock modules (`hk.Linear`, `hk.Conv2D`, `hk.BatchNorm`, …), re-exported into the `hk` namespace.
 *
 * @module
 */
export { Linear, type LinearOptions } from "./Linear.js"
export { ConvND, Conv1D, Conv2D, Conv3D, type ConvOptions, type Conv2DOptions } from "./ConvND.js"
export { ConvNDTranspose, Conv1DTranspose, Conv2DTranspose, Conv3DTranspose, type ConvTransposeOptions } from "./ConvNDTranspose.js"
export { DepthwiseConv1D, DepthwiseConv2D, DepthwiseConv3D, SeparableDepthwiseConv2D, type DepthwiseConvOptions } from "./DepthwiseConv.js"
export { BatchNorm, type BatchNormOptions, type BatchNormCallOptions } from "./BatchNorm.js"
export { ExponentialMovingAverage, type ExponentialMovingAverageOptions } from "./ExponentialMovingAverage.js"
export { LayerNorm, InstanceNorm, type LayerNormOptions, type LayerNormCallOptions, type InstanceNormOptions } from "./LayerNorm.js"
export { RMSNorm, type RMSNormOptions } from "./RMSNorm.js"
export { GroupNorm, type GroupNormOptions } from "./GroupNorm.js"
export { Bias, type BiasOptions } from "./Bias.js"
export { Embed, type EmbedOptions, type EmbedLookupStyle } from "./Embed.js"
export { MultiHeadAttention, type MultiHeadAttentionOptions } from "./MultiHeadAttention.js"
export { Dropout, dropout, type DropoutOptions } from "./Dropout.js"
export { Sequential, type Layer } from "./Sequential.js"
export { maxPool, avgPool, MaxPool, AvgPool, type PoolOptions } from "./pool.js"
export { Flatten, flatten } from "./Flatten.js"
export { ModuleConfigError } from "./errors.js"
export { samePadding, type Padding } from "./inputs.js"
