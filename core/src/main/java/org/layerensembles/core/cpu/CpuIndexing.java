package org.layerensembles.core.cpu;

import org.layerensembles.core.NDArray;

/** STUB: to be implemented. */
final class CpuIndexing {
    private CpuIndexing() {
    }

    public static NDArray gather(NDArray x, int axis, NDArray index) {
        throw new UnsupportedOperationException("CpuIndexing.gather: not yet implemented");
    }

    public static NDArray gatherBackward(NDArray gradY, int axis, NDArray index, int[] inputShape) {
        throw new UnsupportedOperationException("CpuIndexing.gatherBackward: not yet implemented");
    }

    public static NDArray oneHot(NDArray labels, int classes, int axis) {
        throw new UnsupportedOperationException("CpuIndexing.oneHot: not yet implemented");
    }
}
