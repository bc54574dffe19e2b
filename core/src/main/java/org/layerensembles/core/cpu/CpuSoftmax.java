package org.layerensembles.core.cpu;

import org.layerensembles.core.NDArray;

/** STUB: to be implemented. */
final class CpuSoftmax {
    private CpuSoftmax() {
    }

    public static NDArray softmax(NDArray x, int axis) {
        throw new UnsupportedOperationException("CpuSoftmax.softmax: not yet implemented");
    }

    public static NDArray logSoftmax(NDArray x, int axis) {
        throw new UnsupportedOperationException("CpuSoftmax.logSoftmax: not yet implemented");
    }

    public static NDArray softmaxBackward(NDArray y, NDArray gradY, int axis) {
        throw new UnsupportedOperationException("CpuSoftmax.softmaxBackward: not yet implemented");
    }

    public static NDArray logSoftmaxBackward(NDArray y, NDArray gradY, int axis) {
        throw new UnsupportedOperationException("CpuSoftmax.logSoftmaxBackward: not yet implemented");
    }
}
