package org.layerensembles.core.backend;

import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;

/**
 * How to resample [N, C, H, W] spatially, with the semantics of PyTorch's {@code F.interpolate}
 * on the CPU (modes 'nearest' and 'bilinear', {@code recompute_scale_factor} left unset).
 *
 * <p>Either an output size, or scale factors (output = floor(input * scale)). Source coordinate
 * of output pixel d along an axis, with ratio r = 1/scale when a scale was given and
 * in/out otherwise:
 * <ul>
 *   <li>output extent == input extent: src = d, a copy, whatever the scale factor (PyTorch's
 *       shortcut; e.g. scale 1.2 on 3 pixels gives 3 pixels, copied);</li>
 *   <li>NEAREST: src = d / 2 (integer) when out == 2 * in (PyTorch CPU's shortcut), otherwise
 *       src = min(floor(d * r), in - 1), with r and d * r in float32 as PyTorch computes them;</li>
 *   <li>BILINEAR, alignCorners: src = d * (in - 1) / (out - 1) (0 when out = 1); the scale
 *       factor only sets the output size;</li>
 *   <li>BILINEAR, not alignCorners: src = max(0, (d + 0.5) * r - 0.5).</li>
 * </ul>
 * Bilinear reads pixels i0 = min(floor(src), in - 1) and i1 = min(i0 + 1, in - 1) with weights
 * 1 - t and t, t = src - i0. (PyTorch's CUDA nearest kernel lacks the out == 2 * in shortcut,
 * so with a scale factor in (2, 2 + 1/in) GPU PyTorch can pick other pixels than CPU PyTorch and
 * this.)
 *
 * @param scaleH NaN when the output size is given
 */
public record Resize(Mode mode, int outH, int outW, double scaleH, double scaleW, boolean alignCorners) {
    public enum Mode { NEAREST, BILINEAR }

    public Resize {
        boolean bySize = Double.isNaN(scaleH) && Double.isNaN(scaleW);
        if (bySize && (outH < 1 || outW < 1)) {
            throw new IllegalArgumentException("resize: output size must be >= 1, got " + outH + "x" + outW);
        }
        if (!bySize && !(scaleH > 0 && scaleW > 0)) {
            throw new IllegalArgumentException("resize: scale factors must be > 0, got " + scaleH + "x" + scaleW);
        }
        if (mode == Mode.NEAREST && alignCorners) {
            throw new IllegalArgumentException("resize: alignCorners applies to bilinear only");
        }
    }

    public static Resize toSize(Mode mode, int outH, int outW, boolean alignCorners) {
        return new Resize(mode, outH, outW, Double.NaN, Double.NaN, alignCorners);
    }

    public static Resize byScale(Mode mode, double scaleH, double scaleW, boolean alignCorners) {
        return new Resize(mode, 0, 0, scaleH, scaleW, alignCorners);
    }

    public boolean byScale() {
        return !Double.isNaN(scaleH);
    }

    /** [N, C, OH, OW] for an input of this shape; throws naming {@code op} on a bad input or an empty output. */
    public int[] outputShape(String op, int[] input) {
        if (input.length != 4) {
            throw new IllegalArgumentException(op + ": input must be [N, C, H, W], got " + Shapes.str(input));
        }
        if (input[2] < 1 || input[3] < 1) {
            throw new IllegalArgumentException(op + ": input planes must not be empty, got " + Shapes.str(input));
        }
        int h = byScale() ? (int) Math.floor(input[2] * scaleH) : outH;
        int w = byScale() ? (int) Math.floor(input[3] * scaleW) : outW;
        if (h < 1 || w < 1) {
            throw new IllegalArgumentException(op + ": output " + h + "x" + w + " is empty for input " + Shapes.str(input));
        }
        return new int[] {input[0], input[1], h, w};
    }

    /**
     * Checks resizeBackward's arguments: gradY float32 with this resize's output shape for a
     * valid [N, C, H, W] {@code inputShape}. Returns the input shape (the output shape is gradY's).
     */
    public int[] backwardInputShape(NDArray gradY, int[] inputShape) {
        String op = "resizeBackward";
        Checks.float32(op, "gradY", gradY);
        int[] in = Checks.nchwInputShape(op, inputShape);
        int[] outShape = outputShape(op, in);
        Checks.sameShape(op, "gradY", gradY.shape(), "resized output of input " + Shapes.str(in), outShape);
        return in;
    }
}
