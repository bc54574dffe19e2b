package org.layerensembles.autograd.optim;

import java.util.List;
import java.util.Map;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.AdamUpdate;

/**
 * Adam with optional L2 weight decay added to the gradient: PyTorch's {@code torch.optim.Adam}
 * (without amsgrad). For each parameter p with gradient g, at its t-th update:
 * <pre>
 *   d = g + weightDecay * p                             (when weightDecay != 0)
 *   m = beta1 * m + (1 - beta1) * d                     (m, v start at 0)
 *   v = beta2 * v + (1 - beta2) * d * d
 *   stepSize = lr / (1 - beta1^t)
 *   denom = sqrt(v) / sqrt(1 - beta2^t) + eps
 *   p = p - stepSize * m / denom
 * </pre>
 * t counts this parameter's own updates (a parameter without a gradient on some step keeps its
 * count, as in PyTorch). State: {@code <param>.exp_avg} (m), {@code <param>.exp_avg_sq} (v),
 * {@code <param>.step} (t). {@link AdamW} decouples the weight decay instead.
 */
public class Adam extends Optimizer {
    private static final List<String> MOMENTS = List.of("exp_avg", "exp_avg_sq");

    /**
     * Adam's and AdamW's hyper-parameters (PyTorch's names and defaults).
     *
     * @param lr          learning rate, >= 0 (default 1e-3)
     * @param beta1       decay of the first moment, in [0, 1) (default 0.9)
     * @param beta2       decay of the second moment, in [0, 1) (default 0.999)
     * @param eps         added to the denominator, >= 0 (default 1e-8)
     * @param weightDecay >= 0; Adam adds {@code weightDecay * p} to the gradient (default 0),
     *                    AdamW multiplies p by {@code 1 - lr * weightDecay} (default 1e-2)
     */
    public record Options(double lr, double beta1, double beta2, double eps, double weightDecay) {
        public Options {
            checkLr(lr);
            checkBeta("beta1", beta1);
            checkBeta("beta2", beta2);
            if (!(eps >= 0) || !Double.isFinite(eps)) {
                throw new IllegalArgumentException("invalid eps " + eps + ": must be finite and >= 0");
            }
            if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
                throw new IllegalArgumentException("invalid weight decay " + weightDecay + ": must be finite and >= 0");
            }
        }

        private static void checkBeta(String name, double beta) {
            if (!(beta >= 0 && beta < 1)) {
                throw new IllegalArgumentException("invalid " + name + " " + beta + ": must be in [0, 1)");
            }
        }

        /** Adam's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0. */
        public static Options defaults() {
            return new Options(1e-3, 0.9, 0.999, 1e-8, 0);
        }

        public Options withLr(double v) {
            return new Options(v, beta1, beta2, eps, weightDecay);
        }

        public Options withBetas(double b1, double b2) {
            return new Options(lr, b1, b2, eps, weightDecay);
        }

        public Options withEps(double v) {
            return new Options(lr, beta1, beta2, v, weightDecay);
        }

        public Options withWeightDecay(double v) {
            return new Options(lr, beta1, beta2, eps, v);
        }
    }

    private final Options options;
    private final boolean decoupled;

    public Adam(Map<String, Tensor> namedParameters, Options options) {
        this(namedParameters, options, false);
    }

    Adam(Map<String, Tensor> namedParameters, Options options, boolean decoupled) {
        super(namedParameters, options.lr());
        this.options = options;
        this.decoupled = decoupled;
    }

    /** The hyper-parameters given at construction ({@link #lr()} is the current learning rate). */
    public final Options options() {
        return options;
    }

    @Override
    protected final List<String> bufferNames() {
        return MOMENTS;
    }

    @Override
    protected final boolean countsSteps() {
        return true;
    }

    @Override
    protected final void update(NDArray param, NDArray grad, ParamState state, boolean fresh) {
        double lr = lr();
        double wd = options.weightDecay();
        long t = state.step();
        double biasCorrection1 = 1 - Math.pow(options.beta1(), t);
        double biasCorrection2 = 1 - Math.pow(options.beta2(), t);
        double stepSize = lr / biasCorrection1;
        double bc2Sqrt = Math.sqrt(biasCorrection2);
        NDArray m = state.buffer(0);
        NDArray v = state.buffer(1);
        Autograd.backend().adamUpdate(param, grad, m, v, new AdamUpdate(decoupled ? 1 - lr * wd : 1,
                decoupled ? 0 : wd, options.beta1(), options.beta2(), bc2Sqrt, options.eps(), stepSize));
    }
}
