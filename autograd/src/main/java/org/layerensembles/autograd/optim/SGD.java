package org.layerensembles.autograd.optim;

import java.util.List;
import java.util.Map;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.SgdUpdate;

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
 * decay: PyTorch's {@code torch.optim.SGD}. For each parameter p with gradient g, at its t-th
 * update:
 * <pre>
 *   d = g + weightDecay * p                          (when weightDecay != 0)
 *   if momentum != 0:
 *       b = (t == 1) ? d : momentum * b + (1 - dampening) * d
 *       d = nesterov ? d + momentum * b : b
 *   p = p - lr * d
 * </pre>
 * The momentum buffer ({@code <param>.momentum_buffer}) exists only when momentum is not 0.
 */
public final class SGD extends Optimizer {
    private static final List<String> MOMENTUM_BUFFER = List.of("momentum_buffer");

    /**
     * SGD's hyper-parameters (PyTorch's names and defaults).
     *
     * @param lr          learning rate, >= 0 (PyTorch's default 1e-3)
     * @param momentum    momentum factor, >= 0 (default 0: plain SGD)
     * @param dampening   dampening of the momentum after the first step, in [0, 1] (default 0)
     * @param nesterov    Nesterov momentum; needs momentum > 0 and dampening 0 (default false)
     * @param weightDecay L2 penalty added to the gradient, >= 0 (default 0)
     */
    public record Options(double lr, double momentum, double dampening, boolean nesterov, double weightDecay) {
        public Options {
            checkLr(lr);
            if (!(momentum >= 0) || !Double.isFinite(momentum)) {
                throw new IllegalArgumentException("invalid momentum " + momentum + ": must be finite and >= 0");
            }
            if (!(dampening >= 0 && dampening <= 1)) {
                throw new IllegalArgumentException("invalid dampening " + dampening + ": must be in [0, 1]");
            }
            if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
                throw new IllegalArgumentException("invalid weight decay " + weightDecay + ": must be finite and >= 0");
            }
            if (nesterov && (momentum <= 0 || dampening != 0)) {
                throw new IllegalArgumentException("Nesterov momentum requires a momentum > 0 and zero dampening "
                        + "(got momentum " + momentum + ", dampening " + dampening + ")");
            }
        }

        /** lr 1e-3, no momentum, no dampening, no Nesterov, no weight decay. */
        public static Options defaults() {
            return new Options(1e-3, 0, 0, false, 0);
        }

        public Options withLr(double v) {
            return new Options(v, momentum, dampening, nesterov, weightDecay);
        }

        public Options withMomentum(double v) {
            return new Options(lr, v, dampening, nesterov, weightDecay);
        }

        public Options withDampening(double v) {
            return new Options(lr, momentum, v, nesterov, weightDecay);
        }

        public Options withNesterov(boolean v) {
            return new Options(lr, momentum, dampening, v, weightDecay);
        }

        public Options withWeightDecay(double v) {
            return new Options(lr, momentum, dampening, nesterov, v);
        }
    }

    private final Options options;

    public SGD(Map<String, Tensor> namedParameters, Options options) {
        super(namedParameters, options.lr());
        this.options = options;
    }

    /** The hyper-parameters given at construction ({@link #lr()} is the current learning rate). */
    public Options options() {
        return options;
    }

    @Override
    protected List<String> bufferNames() {
        return options.momentum() != 0 ? MOMENTUM_BUFFER : List.of();
    }

    @Override
    protected boolean countsSteps() {
        return false;
    }

    @Override
    protected void update(NDArray param, NDArray grad, ParamState state, boolean fresh) {
        boolean useMomentum = options.momentum() != 0;
        NDArray b = useMomentum ? state.buffer(0) : null;
        Autograd.backend().sgdUpdate(param, grad, b, new SgdUpdate(lr(), options.weightDecay(), options.momentum(),
                options.dampening(), options.nesterov(), fresh));
    }
}
