/**
 * The CUDA backend: {@code .cu} kernels, the FFM binding of the CUDA driver API, GPU tests.
 * Filled by the CUDA issue; empty for now.
 */
package org.layerensembles.cuda;
