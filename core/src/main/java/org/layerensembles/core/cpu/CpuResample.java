package org.layerensembles.core.cpu;

import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.Resize;

/** STUB: to be implemented. */
final class CpuResample {
    private CpuResample() {
    }

    public static NDArray resize(NDArray x, Resize spec) {
        throw new UnsupportedOperationException("CpuResample.resize: not yet implemented");
    }

    public static NDArray resizeBackward(NDArray gradY, int[] inputShape, Resize spec) {
        throw new UnsupportedOperationException("CpuResample.resizeBackward: not yet implemented");
    }
}
