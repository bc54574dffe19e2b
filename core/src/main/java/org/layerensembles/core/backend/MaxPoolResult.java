package org.layerensembles.core.backend;

import org.layerensembles.core.NDArray;

/**
 * Max pooling's output and, per output element, the int32 position of the winning input element
 * within its [H, W] plane (h * W + w; PyTorch's convention).
 */
public record MaxPoolResult(NDArray output, NDArray indices) {
}
