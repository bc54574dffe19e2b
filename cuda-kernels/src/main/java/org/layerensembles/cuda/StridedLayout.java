package org.layerensembles.cuda;

import java.util.ArrayList;
import java.util.List;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;

/**
 * A shape walked in row-major order together with the strides of one or more operands, in the
 * form the kernels take it (common.cuh): a rank and {@value #MAX_RANK} extents, then
 * {@value #MAX_RANK} strides per operand, the real dimensions last and the unused leading ones
 * padded with extent 1 and stride 0.
 *
 * <p>The layout is first simplified without changing any element's offset: dimensions of extent 1
 * are dropped, and a dimension is merged into the next when every operand steps across it as one
 * (its stride is the next one's stride times the next one's extent). A contiguous array becomes
 * one dimension, a transposed matrix stays two, a [N, C, H, W] array broadcast from [1, C, 1, 1]
 * becomes three.
 */
final class StridedLayout {
    static final int MAX_RANK = 8;

    private final int rank;
    private final int[] shape;
    private final int[][] strides;

    private StridedLayout(int rank, int[] shape, int[][] strides) {
        this.rank = rank;
        this.shape = shape;
        this.strides = strides;
    }

    /** The layout of {@code shape} with each operand's strides over it (same length as shape). */
    static StridedLayout of(String op, int[] shape, int[]... operandStrides) {
        List<int[]> dims = new ArrayList<>(); // {extent, stride of operand 0, stride of operand 1, ...}
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) {
                continue;
            }
            int[] dim = new int[1 + operandStrides.length];
            dim[0] = shape[d];
            for (int k = 0; k < operandStrides.length; k++) {
                dim[1 + k] = operandStrides[k][d];
            }
            if (!dims.isEmpty() && mergeable(dims.get(dims.size() - 1), dim)) {
                int[] last = dims.get(dims.size() - 1);
                last[0] *= dim[0];
                System.arraycopy(dim, 1, last, 1, operandStrides.length);
            } else {
                dims.add(dim);
            }
        }
        if (dims.size() > MAX_RANK) {
            throw new IllegalArgumentException(op + ": the layout of shape " + Shapes.str(shape) + " has "
                    + dims.size() + " dimensions that cannot be merged; the CUDA kernels take at most " + MAX_RANK);
        }
        int r = Math.max(1, dims.size());
        int[] s = new int[MAX_RANK];
        int[][] st = new int[operandStrides.length][MAX_RANK];
        java.util.Arrays.fill(s, 1);
        int lead = MAX_RANK - dims.size();
        for (int i = 0; i < dims.size(); i++) {
            int[] dim = dims.get(i);
            s[lead + i] = dim[0];
            for (int k = 0; k < operandStrides.length; k++) {
                st[k][lead + i] = dim[1 + k];
            }
        }
        return new StridedLayout(r, s, st);
    }

    /** Whether `outer` followed by `inner` is one run for every operand. */
    private static boolean mergeable(int[] outer, int[] inner) {
        for (int k = 1; k < outer.length; k++) {
            if ((long) outer[k] != (long) inner[k] * inner[0]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Strides with which an array {@code x} is read at each index of {@code target}, a shape x's
     * shape broadcasts to (NumPy rules): 0 along dimensions that x lacks or has extent 1 in.
     */
    static int[] broadcastStrides(NDArray x, int[] target) {
        int[] own = x.shape();
        int[] st = x.strides();
        int[] out = new int[target.length];
        int lead = target.length - own.length;
        for (int d = 0; d < own.length; d++) {
            out[lead + d] = own[d] == 1 && target[lead + d] != 1 ? 0 : st[d];
        }
        return out;
    }

    int rank() {
        return rank;
    }

    /** Adds the rank, the extents and every operand's strides: {@code int rank, DIMS(shape), DIMS(s0), ...}. */
    KernelArgs addTo(KernelArgs args) {
        args.i32(rank);
        addShapeAndStrides(args);
        return args;
    }

    /** Adds the extents and every operand's strides without the rank. */
    KernelArgs addShapeAndStrides(KernelArgs args) {
        for (int e : shape) {
            args.i32(e);
        }
        for (int[] st : strides) {
            for (int v : st) {
                args.i32(v);
            }
        }
        return args;
    }

    /** The stride of operand k along the innermost (merged) dimension. */
    int innerStride(int k) {
        return strides[k][MAX_RANK - 1];
    }
}
