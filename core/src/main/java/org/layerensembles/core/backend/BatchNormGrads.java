package org.layerensembles.core.backend;

import org.layerensembles.core.NDArray;

/** Gradients of training-mode batch norm with respect to its input, scale (gamma) and shift (beta). */
public record BatchNormGrads(NDArray gradInput, NDArray gradGamma, NDArray gradBeta) {
}
