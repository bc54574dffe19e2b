package org.layerensembles.core.cpu;

import java.util.List;
import org.layerensembles.core.NDArray;

/** STUB: to be implemented. */
final class CpuConcat {
    private CpuConcat() {
    }

    public static NDArray concat(List<NDArray> xs, int axis) {
        throw new UnsupportedOperationException("CpuConcat.concat: not yet implemented");
    }

    public static List<NDArray> split(NDArray x, int axis, int... sizes) {
        throw new UnsupportedOperationException("CpuConcat.split: not yet implemented");
    }
}
