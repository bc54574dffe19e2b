package org.layerensembles.autograd.nn;

import java.util.ArrayList;
import java.util.List;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.ops.ShapeOps;

/**
 * Runs every branch on the same input and joins their outputs along the channel axis (1).
 * Branches are named "0", "1", ...; their outputs must agree on every axis but 1.
 */
public final class ChannelConcat extends Module {
    public ChannelConcat(Module... branches) {
        if (branches.length == 0) {
            throw new IllegalArgumentException("ChannelConcat needs at least one branch");
        }
        for (int i = 0; i < branches.length; i++) {
            register(Integer.toString(i), branches[i]);
        }
    }

    @Override
    protected Tensor compute(Tensor input) {
        List<Tensor> outputs = new ArrayList<>();
        for (Module branch : children().values()) {
            outputs.add(branch.forward(input));
        }
        return ShapeOps.concat(outputs, 1);
    }
}
