/** Datasets: MNIST digits, seeded shuffles and splits, batch iterators. */
export { permutation, take, shuffle, trainTestSplit, batches, numBatches, type Dataset, type Batch, type Split, type BatchOptions } from "./Dataset.js"
export { loadMnist, loadMnistDigits, MnistLoadError, MNIST_IMAGE_SIZE, MNIST_SIZE, type MnistOptions } from "./mnist.js"
