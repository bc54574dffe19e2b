package org.layerensembles.ensemble;

import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.nn.layers.Conv2d;
import org.layerensembles.autograd.ops.ResampleOps;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Resize;

/**
 * One output head (METHOD.md §2): a 3x3 convolution with padding 1 and a bias from the tapped
 * layer's channels to {@code classes} logits, then bilinear resampling with
 * {@code align_corners=true} to the input's height and width; no resampling when the tapped
 * features are already at that size. Heads output logits; softmax belongs to the loss and to
 * {@link HeadCombiner}.
 *
 * <p>The only child is {@code conv} (so a head's parameters are {@code conv.weight} and
 * {@code conv.bias}, PyTorch's default initialisation drawn from the given generator).
 * {@link #forward} gives the logits at the features' own resolution; {@link #logits} adds the
 * resampling. A tap larger than the input would be resampled down with the same rule (bilinear,
 * no anti-aliasing); networks that segment rarely have one.
 */
public final class Head extends Module {
    private final Conv2d conv;
    private final int inChannels;
    private final int classes;

    /**
     * @param inChannels channels of the tapped features
     * @param classes    logits per pixel (2 for a binary task: background and foreground)
     * @param rng        where the convolution's initial weights are drawn from
     */
    public Head(int inChannels, int classes, SeededRandom rng) {
        if (inChannels < 1 || classes < 1) {
            throw new IllegalArgumentException("Head: channels and classes must be >= 1, got " + inChannels + " and "
                    + classes);
        }
        this.inChannels = inChannels;
        this.classes = classes;
        this.conv = register("conv", new Conv2d(inChannels, classes, 3, 1, 1, 1, true, rng));
    }

    /** Logits [N, classes, h, w] at the resolution of the features [N, inChannels, h, w]. */
    @Override
    protected Tensor compute(Tensor features) {
        return conv.forward(features);
    }

    /**
     * Logits [N, classes, outH, outW]: the convolution, then bilinear (align_corners) resampling
     * to outH x outW when the features are not already that size.
     */
    public Tensor logits(Tensor features, int outH, int outW) {
        if (features.rank() != 4 || features.size(1) != inChannels) {
            throw new IllegalArgumentException("Head: features must be [N, " + inChannels + ", H, W], got "
                    + Shapes.str(features.shape()));
        }
        Tensor z = forward(features);
        if (z.size(2) == outH && z.size(3) == outW) {
            return z;
        }
        return ResampleOps.resize(z, Resize.toSize(Resize.Mode.BILINEAR, outH, outW, true));
    }

    public Conv2d conv() {
        return conv;
    }

    public int inChannels() {
        return inChannels;
    }

    public int classes() {
        return classes;
    }

    @Override
    public String toString() {
        return "Head(" + inChannels + " -> " + classes + ", conv 3x3 + bilinear align_corners)";
    }
}
