package org.layerensembles.core.reference;

import java.util.ArrayList;
import java.util.List;

/**
 * Concatenation and splitting along an axis, element by element: the twin of the CPU copies.
 * <pre>
 *   concat: out[..., offset_p + j, ...] = part_p[..., j, ...]   (offset_p = sum of the earlier extents)
 *   split:  part_p[..., j, ...]         = x[..., offset_p + j, ...]
 * </pre>
 */
public final class ConcatRef {
    private ConcatRef() {
    }

    /** Joins row-major parts (shapes equal but along {@code axis}); returns the joined values. */
    public static double[] concat(List<double[]> parts, List<int[]> shapes, int axis) {
        int[] outShape = shapes.get(0).clone();
        outShape[axis] = 0;
        for (int[] s : shapes) {
            outShape[axis] += s[axis];
        }
        double[] out = new double[RefArrays.numel(outShape)];
        int offset = 0;
        for (int p = 0; p < parts.size(); p++) {
            int[] shape = shapes.get(p);
            double[] part = parts.get(p);
            for (int i = 0; i < part.length; i++) {
                int[] index = RefArrays.unflat(shape, i);
                index[axis] += offset;
                out[RefArrays.flat(outShape, index)] = part[i];
            }
            offset += shape[axis];
        }
        return out;
    }

    /** Cuts row-major x along {@code axis} into parts of the given extents. */
    public static List<double[]> split(double[] x, int[] shape, int axis, int... sizes) {
        List<double[]> parts = new ArrayList<>();
        int offset = 0;
        for (int size : sizes) {
            int[] partShape = shape.clone();
            partShape[axis] = size;
            double[] part = new double[RefArrays.numel(partShape)];
            for (int i = 0; i < part.length; i++) {
                int[] index = RefArrays.unflat(partShape, i);
                index[axis] += offset;
                part[i] = x[RefArrays.flat(shape, index)];
            }
            parts.add(part);
            offset += size;
        }
        return parts;
    }
}
