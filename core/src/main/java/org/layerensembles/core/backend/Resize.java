package org.layerensembles.core.backend;

import org.layerensembles.core.Shapes;

/**
 * How to resample [N, C, H, W] spatially, with PyTorch's {@code interpolate} semantics.
 *
 * <p>Either an output size, or scale factors (output = floor(input * scale)). Source coordinate
 * of output pixel d along an axis, with ratio r = 1/scale when a scale was given and
 * in/out otherwise:
 * <ul>
 *   <li>NEAREST: src = min(floor(d * r), in - 1);</li>
 *   <li>BILINEAR, alignCorners: src = d * (in - 1) / (out - 1) (0 when out = 1);</li>
 *   <li>BILINEAR, not alignCorners: src = max(0, (d + 0.5) * r - 0.5).</li>
 * </ul>
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

    public int[] outputShape(String op, int[] input) {
        if (input.length != 4) {
            throw new IllegalArgumentException(op + ": input must be [N, C, H, W], got " + Shapes.str(input));
        }
        int h = byScale() ? (int) Math.floor(input[2] * scaleH) : outH;
        int w = byScale() ? (int) Math.floor(input[3] * scaleW) : outW;
        if (h < 1 || w < 1) {
            throw new IllegalArgumentException(op + ": output " + h + "x" + w + " is empty for input " + Shapes.str(input));
        }
        return new int[] {input[0], input[1], h, w};
    }

    /** Source-coordinate ratio along H (used by nearest and non-aligned bilinear). */
    public double ratioH(int in, int out) {
        return byScale() ? 1.0 / scaleH : (double) in / out;
    }

    /** Source-coordinate ratio along W. */
    public double ratioW(int in, int out) {
        return byScale() ? 1.0 / scaleW : (double) in / out;
    }
}
