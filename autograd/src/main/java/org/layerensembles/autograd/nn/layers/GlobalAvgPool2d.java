package org.layerensembles.autograd.nn.layers;

import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.ops.PoolOps;

/**
 * The mean over H and W of each channel: [N, C, H, W] to [N, C, 1, 1], as PyTorch's
 * {@code nn.AdaptiveAvgPool2d(1)}.
 */
public final class GlobalAvgPool2d extends Module {
    @Override
    protected Tensor compute(Tensor input) {
        return PoolOps.globalAvgPool2d(input);
    }

    @Override
    public String toString() {
        return "GlobalAvgPool2d()";
    }
}
