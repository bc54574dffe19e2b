package org.layerensembles.autograd.optim;

import java.util.Set;
import org.layerensembles.autograd.nn.StateDict;

/**
 * Lowers the learning rate when a metric stops improving: PyTorch's {@code ReduceLROnPlateau}.
 * Each {@link #step(double)} takes the epoch's metric:
 * <pre>
 *   if better(metric, best): best = metric, badEpochs = 0   else badEpochs += 1
 *   if cooldownCounter > 0:  cooldownCounter -= 1, badEpochs = 0
 *   if badEpochs > patience: newLr = max(lr * factor, minLr); set it if lr - newLr > eps;
 *                            cooldownCounter = cooldown, badEpochs = 0
 * </pre>
 * "Better" in mode MIN with threshold mode REL is {@code metric < best * (1 - threshold)} (ABS:
 * {@code metric < best - threshold}); in mode MAX {@code metric > best * (1 + threshold)} (ABS:
 * {@code metric > best + threshold}). best starts at +infinity (MIN) or -infinity (MAX). A NaN
 * metric is never better.
 *
 * <p>State dict: {@code last_epoch}, {@code num_bad_epochs}, {@code cooldown_counter} (int64) and
 * {@code best.f64bits}.
 */
public final class ReduceLROnPlateau {
    /** Whether a lower or a higher metric is better. */
    public enum Mode { MIN, MAX }

    /** Whether the threshold is relative to the best value or absolute. */
    public enum ThresholdMode { REL, ABS }

    /**
     * The schedule's settings (PyTorch's names and defaults).
     *
     * @param mode          MIN (a loss) or MAX (an accuracy) (default MIN)
     * @param factor        the rate is multiplied by it, in [0, 1) (default 0.1)
     * @param patience      epochs without improvement tolerated before lowering, >= 0 (default 10)
     * @param threshold     smallest change that counts as an improvement, >= 0 (default 1e-4)
     * @param thresholdMode REL or ABS (default REL)
     * @param cooldown      epochs after a reduction during which bad epochs are not counted, >= 0
     *                      (default 0)
     * @param minLr         the rate never goes below it, >= 0 (default 0)
     * @param eps           a reduction smaller than this is not applied, >= 0 (default 1e-8)
     */
    public record Options(Mode mode, double factor, int patience, double threshold, ThresholdMode thresholdMode,
                          int cooldown, double minLr, double eps) {
        public Options {
            if (mode == null || thresholdMode == null) {
                throw new IllegalArgumentException("ReduceLROnPlateau: mode and thresholdMode must be given");
            }
            if (!(factor >= 0 && factor < 1)) {
                throw new IllegalArgumentException("ReduceLROnPlateau: factor must be in [0, 1), got " + factor);
            }
            if (patience < 0 || cooldown < 0) {
                throw new IllegalArgumentException("ReduceLROnPlateau: patience and cooldown must be >= 0, got "
                        + patience + " and " + cooldown);
            }
            requireNonNegative("threshold", threshold);
            requireNonNegative("minLr", minLr);
            requireNonNegative("eps", eps);
        }

        private static void requireNonNegative(String name, double v) {
            if (!(v >= 0) || !Double.isFinite(v)) {
                throw new IllegalArgumentException("ReduceLROnPlateau: " + name + " must be finite and >= 0, got " + v);
            }
        }

        /** MIN, factor 0.1, patience 10, threshold 1e-4 REL, cooldown 0, minLr 0, eps 1e-8. */
        public static Options defaults() {
            return new Options(Mode.MIN, 0.1, 10, 1e-4, ThresholdMode.REL, 0, 0, 1e-8);
        }

        public Options withMode(Mode v) {
            return new Options(v, factor, patience, threshold, thresholdMode, cooldown, minLr, eps);
        }

        public Options withFactor(double v) {
            return new Options(mode, v, patience, threshold, thresholdMode, cooldown, minLr, eps);
        }

        public Options withPatience(int v) {
            return new Options(mode, factor, v, threshold, thresholdMode, cooldown, minLr, eps);
        }

        public Options withThreshold(double v, ThresholdMode m) {
            return new Options(mode, factor, patience, v, m, cooldown, minLr, eps);
        }

        public Options withCooldown(int v) {
            return new Options(mode, factor, patience, threshold, thresholdMode, v, minLr, eps);
        }

        public Options withMinLr(double v) {
            return new Options(mode, factor, patience, threshold, thresholdMode, cooldown, v, eps);
        }

        public Options withEps(double v) {
            return new Options(mode, factor, patience, threshold, thresholdMode, cooldown, minLr, v);
        }
    }

    private final Optimizer optimizer;
    private final Options options;
    private double best;
    private long lastEpoch;
    private long numBadEpochs;
    private long cooldownCounter;

    public ReduceLROnPlateau(Optimizer optimizer, Options options) {
        this.optimizer = optimizer;
        this.options = options;
        this.best = options.mode() == Mode.MIN ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    /** Records the epoch's metric and lowers the optimizer's rate if it has stopped improving. */
    public void step(double metric) {
        lastEpoch++;
        if (isBetter(metric)) {
            best = metric;
            numBadEpochs = 0;
        } else {
            numBadEpochs++;
        }
        if (cooldownCounter > 0) {
            cooldownCounter--;
            numBadEpochs = 0;
        }
        if (numBadEpochs > options.patience()) {
            double old = optimizer.lr();
            double lowered = Math.max(old * options.factor(), options.minLr());
            if (old - lowered > options.eps()) {
                optimizer.setLr(lowered);
            }
            cooldownCounter = options.cooldown();
            numBadEpochs = 0;
        }
    }

    private boolean isBetter(double a) {
        double t = options.threshold();
        boolean rel = options.thresholdMode() == ThresholdMode.REL;
        if (options.mode() == Mode.MIN) {
            return rel ? a < best * (1 - t) : a < best - t;
        }
        return rel ? a > best * (t + 1) : a > best + t;
    }

    public Options options() {
        return options;
    }

    /** The best metric so far (+/-infinity before the first step). */
    public double best() {
        return best;
    }

    public long lastEpoch() {
        return lastEpoch;
    }

    public long numBadEpochs() {
        return numBadEpochs;
    }

    public long cooldownCounter() {
        return cooldownCounter;
    }

    public StateDict stateDict() {
        StateDict sd = new StateDict();
        sd.putLong("last_epoch", lastEpoch);
        sd.putLong("num_bad_epochs", numBadEpochs);
        sd.putLong("cooldown_counter", cooldownCounter);
        StateEntries.putDouble(sd, "best", best);
        return sd;
    }

    /** Restores {@link #stateDict()}; reports every missing or unexpected entry at once. */
    public void loadStateDict(StateDict sd) {
        StateEntries.requireExactly("ReduceLROnPlateau", sd,
                Set.of("last_epoch", "num_bad_epochs", "cooldown_counter", "best" + StateEntries.F64_SUFFIX));
        long epoch = sd.longValue("last_epoch");
        long bad = sd.longValue("num_bad_epochs");
        long cool = sd.longValue("cooldown_counter");
        if (epoch < 0 || bad < 0 || cool < 0) {
            throw new IllegalArgumentException("ReduceLROnPlateau.loadStateDict: counters must be >= 0, got last_epoch "
                    + epoch + ", num_bad_epochs " + bad + ", cooldown_counter " + cool);
        }
        lastEpoch = epoch;
        numBadEpochs = bad;
        cooldownCounter = cool;
        best = StateEntries.getDouble(sd, "best");
    }
}
