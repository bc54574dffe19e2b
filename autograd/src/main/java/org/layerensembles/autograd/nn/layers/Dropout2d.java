package org.layerensembles.autograd.nn.layers;

import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.Shapes;

/**
 * PyTorch's {@code nn.Dropout2d} on [N, C, H, W]: in training mode each whole channel (one
 * (n, c) plane) is kept with probability 1 - p and scaled by 1 / (1 - p), or zeroed; the mask
 * [N, C, 1, 1] broadcasts over H and W (see {@link Dropout} for the formula and the generator).
 * In eval mode the input passes through unchanged.
 */
public final class Dropout2d extends Module {
    private final double p;
    private final SeededRandom rng;

    /**
     * @param p   probability of zeroing a channel, in [0, 1]
     * @param rng where the masks are drawn from (one draw per (n, c) per forward pass)
     */
    public Dropout2d(double p, SeededRandom rng) {
        this.p = Dropout.checkProbability("Dropout2d", p);
        this.rng = rng;
    }

    @Override
    protected Tensor compute(Tensor input) {
        if (input.rank() != 4) {
            throw new IllegalArgumentException("Dropout2d: input must be [N, C, H, W], got " + Shapes.str(input.shape()));
        }
        if (!isTraining()) {
            return input;
        }
        return Dropout.apply(input, p, rng, new int[] {input.size(0), input.size(1), 1, 1});
    }

    public double p() {
        return p;
    }

    @Override
    public String toString() {
        return "Dropout2d(p=" + p + ")";
    }
}
