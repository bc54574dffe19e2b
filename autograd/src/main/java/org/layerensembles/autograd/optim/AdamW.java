package org.layerensembles.autograd.optim;

import java.util.Map;
import org.layerensembles.autograd.Tensor;

/**
 * Adam with decoupled weight decay: PyTorch's {@code torch.optim.AdamW} (without amsgrad). Before
 * the Adam update of {@link Adam} (with no L2 term), each parameter is decayed:
 * {@code p = p * (1 - lr * weightDecay)}. Same state and names as Adam.
 */
public final class AdamW extends Adam {
    public AdamW(Map<String, Tensor> namedParameters, Options options) {
        super(namedParameters, options, true);
    }

    /** AdamW's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 1e-2. */
    public static Options defaults() {
        return Options.defaults().withWeightDecay(1e-2);
    }
}
