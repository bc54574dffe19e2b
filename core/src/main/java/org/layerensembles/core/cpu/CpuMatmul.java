package org.layerensembles.core.cpu;

import org.layerensembles.core.NDArray;

/** STUB: to be implemented. */
final class CpuMatmul {
    private CpuMatmul() {
    }

    public static NDArray matmul(NDArray a, NDArray b, boolean transposeA, boolean transposeB) {
        throw new UnsupportedOperationException("CpuMatmul.matmul: not yet implemented");
    }
}
