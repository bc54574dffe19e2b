package org.layerensembles.data;

import org.layerensembles.core.NDArray;

/**
 * One image and its mask. {@code image} is float32 [channels, H, W]; {@code mask} is int32 [H, W]
 * holding class indices (binary: 0 background, 1 foreground). {@code difficulty} in [0, 1] is
 * known for synthetic samples (NaN otherwise).
 */
public record Sample(String name, NDArray image, NDArray mask, double difficulty) {
}
