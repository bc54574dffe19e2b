package org.layerensembles.autograd.nn.layers;

import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.ops.ElementwiseOps;

/** PyTorch's {@code nn.Sigmoid}: 1 / (1 + exp(-x)). */
public final class Sigmoid extends Module {
    @Override
    protected Tensor compute(Tensor input) {
        return ElementwiseOps.sigmoid(input);
    }

    @Override
    public String toString() {
        return "Sigmoid()";
    }
}
