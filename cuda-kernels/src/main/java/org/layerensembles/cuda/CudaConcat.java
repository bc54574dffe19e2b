package org.layerensembles.cuda;

import java.util.ArrayList;
import java.util.List;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.ConcatChecks;

/**
 * Concatenation and splitting along an axis on the GPU, as strided copies between each part and
 * its slice of the joined array (a view), with the CPU backend's checks and messages. Copies move
 * raw 4-byte words, so they serve float32 and int32 alike.
 */
final class CudaConcat {
    private final Gpu gpu;

    CudaConcat(Gpu gpu) {
        this.gpu = gpu;
    }

    NDArray concat(List<NDArray> xs, int axis) {
        int a = ConcatChecks.concat(xs, axis);
        for (int p = 0; p < xs.size(); p++) {
            gpu.require("concat", "array " + p, xs.get(p));
        }
        NDArray out = gpu.empty(xs.get(0).dtype(), ConcatChecks.joinedShape(xs, a));
        int offset = 0;
        for (NDArray x : xs) {
            int extent = x.size(a);
            gpu.copyStrided(x, out.slice(a, offset, offset + extent));
            offset += extent;
        }
        return out;
    }

    List<NDArray> split(NDArray x, int axis, int... sizes) {
        int a = ConcatChecks.split(x, axis, sizes);
        gpu.require("split", "x", x);
        int[] shape = x.shape();
        List<NDArray> parts = new ArrayList<>(sizes.length);
        int offset = 0;
        for (int extent : sizes) {
            int[] partShape = shape.clone();
            partShape[a] = extent;
            NDArray part = gpu.empty(x.dtype(), partShape);
            gpu.copyStrided(x.slice(a, offset, offset + extent), part);
            parts.add(part);
            offset += extent;
        }
        return parts;
    }
}
