package org.layerensembles.core.cpu;

import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.Conv2dParams;

/** STUB: to be implemented. */
final class CpuConv2d {
    private CpuConv2d() {
    }

    public static NDArray forward(NDArray x, NDArray w, NDArray bias, Conv2dParams p) {
        throw new UnsupportedOperationException("CpuConv2d.forward: not yet implemented");
    }

    public static NDArray backwardData(NDArray gradY, NDArray w, int[] inputShape, Conv2dParams p) {
        throw new UnsupportedOperationException("CpuConv2d.backwardData: not yet implemented");
    }

    public static NDArray backwardWeights(NDArray x, NDArray gradY, int[] weightShape, Conv2dParams p) {
        throw new UnsupportedOperationException("CpuConv2d.backwardWeights: not yet implemented");
    }
}
