/**
 * Recurrent cores and unrolls, re-exported into the `hk` namespace.
 *
 * @module
 */
export { addBatch, type RNNCore, type AnyRNNCore } from "./RNNCore.js"
export { staticUnroll, dynamicUnroll, type UnrollOptions, type DynamicUnrollOptions } from "./unroll.js"
export { VanillaRNN, LSTM, GRU, type LSTMState, type GRUOptions } from "./cores.js"
export { DeepRNN, deepRnnWithSkipConnections, ResetCore, IdentityCore, type DeepRNNLayer } from "./DeepRNN.js"
export { Conv1DLSTM, Conv2DLSTM, Conv3DLSTM, type ConvLSTMOptions } from "./ConvLSTM.js"
