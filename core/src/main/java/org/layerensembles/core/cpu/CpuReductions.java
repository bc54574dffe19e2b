package org.layerensembles.core.cpu;

import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.ReduceOp;

/** STUB: to be implemented. */
final class CpuReductions {
    private CpuReductions() {
    }

    public static NDArray reduce(ReduceOp op, NDArray x, int[] axes, boolean keepDims) {
        throw new UnsupportedOperationException("CpuReductions.reduce: not yet implemented");
    }

    public static NDArray argmax(NDArray x, int axis, boolean keepDims) {
        throw new UnsupportedOperationException("CpuReductions.argmax: not yet implemented");
    }

    public static NDArray sumTo(NDArray x, int... shape) {
        throw new UnsupportedOperationException("CpuReductions.sumTo: not yet implemented");
    }
}
