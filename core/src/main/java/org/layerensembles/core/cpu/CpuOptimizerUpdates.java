package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.AdamUpdate;
import org.layerensembles.core.backend.SgdUpdate;
import org.layerensembles.core.backend.UpdateChecks;

/** The optimizer primitives of the CPU backend: argument checks, then {@link UpdateKernels}. */
final class CpuOptimizerUpdates {
    private CpuOptimizerUpdates() {
    }

    static void adam(NDArray param, NDArray grad, NDArray m, NDArray v, AdamUpdate s) {
        int n = UpdateChecks.flat("adamUpdate", param, grad, m, v);
        UpdateKernels.adam(param.segment(), param.offset(), grad.segment(), grad.offset(), m.segment(), m.offset(),
                v.segment(), v.offset(), n, (float) s.decay(), (float) s.l2(), (float) s.beta1(), (float) (1 - s.beta1()),
                (float) s.beta2(), (float) (1 - s.beta2()), (float) s.bc2Sqrt(), (float) s.eps(), (float) -s.stepSize());
    }

    static void sgd(NDArray param, NDArray grad, NDArray buffer, SgdUpdate s) {
        boolean momentum = s.momentum() != 0;
        int n = UpdateChecks.sgd(param, grad, buffer, s);
        UpdateKernels.sgd(param.segment(), param.offset(), grad.segment(), grad.offset(),
                momentum ? buffer.segment() : MemorySegment.NULL, momentum ? buffer.offset() : 0, n, (float) -s.lr(),
                (float) s.weightDecay(), (float) s.momentum(), (float) (1 - s.dampening()), s.nesterov(), s.firstStep());
    }

    static double sumOfSquares(NDArray x) {
        UpdateChecks.flat("sumOfSquares", x);
        return UpdateKernels.sumOfSquares(x.segment(), x.offset(), x.numel());
    }

    static void scale(NDArray x, double factor) {
        int n = UpdateChecks.flat("scaleInPlace", x);
        UpdateKernels.scale(x.segment(), x.offset(), n, (float) factor);
    }
}
