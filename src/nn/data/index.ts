/**
 * Datasets: seeded shuffles and splits, batch iterators (platform-neutral; the MNIST loader is in `./node.ts`).
 *
 * @module
 */
export { permutation, take, shuffle, trainTestSplit, batches, numBatches, type Dataset, type Batch, type Split, type BatchOptions } from "./Dataset.js"
