/**
 * Datasets with the Node-only MNIST loader (it reads the `mnist` package's files).
 *
 * @module
 */
export * from "./index.js"
export { loadMnist, loadMnistDigits, MnistLoadError, MNIST_IMAGE_SIZE, MNIST_SIZE, type MnistOptions } from "./mnist.js"
