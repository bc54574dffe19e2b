package org.layerensembles.cuda;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;

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
        String op = "concat";
        if (xs == null || xs.isEmpty()) {
            throw new IllegalArgumentException(op + ": needs at least one array");
        }
        NDArray first = xs.get(0);
        if (first == null) {
            throw new IllegalArgumentException(op + ": array 0 is null");
        }
        int rank = first.rank();
        int a = axisOf(op, axis, first.shape());
        int[] firstShape = first.shape();
        long total = 0;
        for (int p = 0; p < xs.size(); p++) {
            NDArray x = xs.get(p);
            if (x == null) {
                throw new IllegalArgumentException(op + ": array " + p + " is null");
            }
            if (x.dtype() != first.dtype()) {
                throw new IllegalArgumentException(op + ": dtypes differ, array 0 is " + first.dtype() + " "
                        + Shapes.str(firstShape) + ", array " + p + " is " + x.dtype() + " " + Shapes.str(x.shape()));
            }
            if (x.rank() != rank) {
                throw new IllegalArgumentException(op + ": ranks differ, array 0 has shape " + Shapes.str(firstShape)
                        + ", array " + p + " has shape " + Shapes.str(x.shape()));
            }
            for (int d = 0; d < rank; d++) {
                if (d != a && x.size(d) != firstShape[d]) {
                    throw new IllegalArgumentException(op + ": shape mismatch in dimension " + d
                            + " (all but axis " + a + " must agree), array 0 has shape " + Shapes.str(firstShape)
                            + ", array " + p + " has shape " + Shapes.str(x.shape()));
                }
            }
            gpu.require(op, "array " + p, x);
            total += x.size(a);
        }
        int[] outShape = firstShape.clone();
        outShape[a] = Math.toIntExact(total);
        NDArray out = gpu.empty(first.dtype(), Shapes.validate(op, outShape));
        int offset = 0;
        for (NDArray x : xs) {
            int extent = x.size(a);
            gpu.copyStrided(x, out.slice(a, offset, offset + extent));
            offset += extent;
        }
        return out;
    }

    List<NDArray> split(NDArray x, int axis, int... sizes) {
        String op = "split";
        if (x == null) {
            throw new IllegalArgumentException(op + ": x is null");
        }
        int[] shape = x.shape();
        int a = axisOf(op, axis, shape);
        if (sizes == null || sizes.length == 0) {
            throw new IllegalArgumentException(op + ": needs at least one size");
        }
        long sum = 0;
        for (int s : sizes) {
            if (s < 0) {
                throw new IllegalArgumentException(op + ": negative size in " + Arrays.toString(sizes));
            }
            sum += s;
        }
        if (sum != shape[a]) {
            throw new IllegalArgumentException(op + ": sizes " + Arrays.toString(sizes) + " sum to " + sum
                    + ", but dimension " + a + " of x " + Shapes.str(shape) + " has extent " + shape[a]);
        }
        gpu.require(op, "x", x);
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

    private static int axisOf(String op, int axis, int[] shape) {
        int a = axis < 0 ? axis + shape.length : axis;
        if (a < 0 || a >= shape.length) {
            throw new IllegalArgumentException(op + ": axis " + axis + " is out of range for shape "
                    + Shapes.str(shape) + " (rank " + shape.length + ")");
        }
        return a;
    }
}
