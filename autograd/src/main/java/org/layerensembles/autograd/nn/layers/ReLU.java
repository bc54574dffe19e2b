package org.layerensembles.autograd.nn.layers;

import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.ops.ElementwiseOps;

/** PyTorch's {@code nn.ReLU}: max(x, 0), gradient 0 at 0. */
public final class ReLU extends Module {
    @Override
    protected Tensor compute(Tensor input) {
        return ElementwiseOps.relu(input);
    }

    @Override
    public String toString() {
        return "ReLU()";
    }
}
