package org.layerensembles.autograd.nn.layers;

import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.ops.ResampleOps;
import org.layerensembles.core.backend.Resize;

/**
 * PyTorch's {@code nn.Upsample} (and {@code F.interpolate}) on [N, C, H, W], modes nearest and
 * bilinear, to a fixed output size or by scale factors (output = floor(input * scale)); the
 * exact sampling rules are {@link Resize}'s.
 *
 * <pre>{@code
 * new Upsample(Resize.byScale(Resize.Mode.BILINEAR, 2, 2, true));    // x2, align_corners=True
 * Upsample.nearest(2);                                               // x2, nearest
 * }</pre>
 */
public final class Upsample extends Module {
    private final Resize spec;

    /** @param spec mode, output size or scale factors, and alignCorners (bilinear only) */
    public Upsample(Resize spec) {
        this.spec = spec;
    }

    /** Nearest-neighbour up-sampling by {@code scale} in both directions. */
    public static Upsample nearest(double scale) {
        return new Upsample(Resize.byScale(Resize.Mode.NEAREST, scale, scale, false));
    }

    /** Bilinear up-sampling by {@code scale} in both directions. */
    public static Upsample bilinear(double scale, boolean alignCorners) {
        return new Upsample(Resize.byScale(Resize.Mode.BILINEAR, scale, scale, alignCorners));
    }

    /** Resampling to a fixed outH x outW (bilinear or nearest). */
    public static Upsample toSize(Resize.Mode mode, int outH, int outW, boolean alignCorners) {
        return new Upsample(Resize.toSize(mode, outH, outW, alignCorners));
    }

    @Override
    protected Tensor compute(Tensor input) {
        return ResampleOps.resize(input, spec);
    }

    public Resize spec() {
        return spec;
    }

    @Override
    public String toString() {
        return "Upsample(" + spec + ")";
    }
}
