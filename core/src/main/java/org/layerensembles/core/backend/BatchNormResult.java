package org.layerensembles.core.backend;

import org.layerensembles.core.NDArray;

/**
 * Training-mode batch norm: the normalised output and the per-channel batch statistics
 * ([C] each): mean, biased variance, and 1/sqrt(variance + eps) kept for the backward pass.
 * Updating running statistics (with the unbiased variance) is the layer's job.
 */
public record BatchNormResult(NDArray output, NDArray mean, NDArray variance, NDArray invStd) {
}
