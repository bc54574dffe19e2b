package org.layerensembles.autograd.nn.layers;

import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;

/** PyTorch's {@code nn.Identity}: returns its input (the same tensor; gradients pass unchanged). */
public final class Identity extends Module {
    @Override
    protected Tensor compute(Tensor input) {
        return input;
    }

    @Override
    public String toString() {
        return "Identity()";
    }
}
