package org.layerensembles.core.cpu;

import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.MaxPoolResult;
import org.layerensembles.core.backend.Pool2dParams;

/** STUB: to be implemented. */
final class CpuPooling {
    private CpuPooling() {
    }

    public static MaxPoolResult maxPool2d(NDArray x, Pool2dParams p) {
        throw new UnsupportedOperationException("CpuPooling.maxPool2d: not yet implemented");
    }

    public static NDArray maxPool2dBackward(NDArray gradY, NDArray indices, int[] inputShape) {
        throw new UnsupportedOperationException("CpuPooling.maxPool2dBackward: not yet implemented");
    }

    public static NDArray avgPool2d(NDArray x, Pool2dParams p) {
        throw new UnsupportedOperationException("CpuPooling.avgPool2d: not yet implemented");
    }

    public static NDArray avgPool2dBackward(NDArray gradY, int[] inputShape, Pool2dParams p) {
        throw new UnsupportedOperationException("CpuPooling.avgPool2dBackward: not yet implemented");
    }

    public static NDArray globalAvgPool2d(NDArray x) {
        throw new UnsupportedOperationException("CpuPooling.globalAvgPool2d: not yet implemented");
    }

    public static NDArray globalAvgPool2dBackward(NDArray gradY, int[] inputShape) {
        throw new UnsupportedOperationException("CpuPooling.globalAvgPool2dBackward: not yet implemented");
    }
}
