package org.layerensembles.core.cpu;

import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.BatchNormGrads;
import org.layerensembles.core.backend.BatchNormResult;

/** STUB: to be implemented. */
final class CpuBatchNorm {
    private CpuBatchNorm() {
    }

    public static BatchNormResult train(NDArray x, NDArray gamma, NDArray beta, double eps) {
        throw new UnsupportedOperationException("CpuBatchNorm.train: not yet implemented");
    }

    public static NDArray eval(NDArray x, NDArray runningMean, NDArray runningVar, NDArray gamma, NDArray beta, double eps) {
        throw new UnsupportedOperationException("CpuBatchNorm.eval: not yet implemented");
    }

    public static BatchNormGrads backward(NDArray gradY, NDArray x, NDArray gamma, NDArray mean, NDArray invStd) {
        throw new UnsupportedOperationException("CpuBatchNorm.backward: not yet implemented");
    }
}
