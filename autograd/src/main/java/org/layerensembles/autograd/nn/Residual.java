package org.layerensembles.autograd.nn;

import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.ops.ElementwiseOps;

/** x + body(x), with an optional shortcut module on the skip path: shortcut(x) + body(x). */
public final class Residual extends Module {
    private final Module body;
    private final Module shortcut;

    public Residual(Module body) {
        this(body, null);
    }

    public Residual(Module body, Module shortcut) {
        this.body = register("body", body);
        this.shortcut = shortcut == null ? null : register("shortcut", shortcut);
    }

    @Override
    protected Tensor compute(Tensor input) {
        Tensor skip = shortcut == null ? input : shortcut.forward(input);
        return ElementwiseOps.add(skip, body.forward(input));
    }
}
