package org.layerensembles.autograd.optim;

import java.util.Set;
import org.layerensembles.autograd.nn.StateDict;

/**
 * A learning-rate schedule stepped once per epoch (or per iteration), as PyTorch's
 * {@code LRScheduler}: it remembers the optimizer's learning rate at construction as the base
 * rate, starts at epoch 0 with that rate, and each {@link #step()} moves to the next epoch and sets
 * the optimizer's learning rate.
 *
 * <p>State dict: {@code last_epoch} (int64) and {@code base_lr.f64bits} (the base rate's double
 * bits); the current rate itself is in the optimizer's state dict.
 */
public abstract class LrScheduler {
    protected final Optimizer optimizer;
    private double baseLr;
    private long lastEpoch;

    protected LrScheduler(Optimizer optimizer) {
        this.optimizer = optimizer;
        this.baseLr = optimizer.lr();
    }

    /** The learning rate for {@code epoch} (>= 1), given the optimizer's current one. */
    protected abstract double lrAt(long epoch, double currentLr);

    /** Moves to the next epoch and sets the optimizer's learning rate for it. */
    public final void step() {
        lastEpoch++;
        optimizer.setLr(lrAt(lastEpoch, optimizer.lr()));
    }

    /** Epochs stepped so far (0 after construction). */
    public final long lastEpoch() {
        return lastEpoch;
    }

    /** The optimizer's learning rate when this schedule was made. */
    public final double baseLr() {
        return baseLr;
    }

    public final StateDict stateDict() {
        StateDict sd = new StateDict();
        sd.putLong("last_epoch", lastEpoch);
        StateEntries.putDouble(sd, "base_lr", baseLr);
        return sd;
    }

    /** Restores {@link #stateDict()}; reports every missing or unexpected entry at once. */
    public final void loadStateDict(StateDict sd) {
        StateEntries.requireExactly(getClass().getSimpleName(), sd,
                Set.of("last_epoch", "base_lr" + StateEntries.F64_SUFFIX));
        long epoch = sd.longValue("last_epoch");
        double base = StateEntries.getDouble(sd, "base_lr");
        if (epoch < 0 || !(base >= 0) || !Double.isFinite(base)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".loadStateDict: last_epoch " + epoch
                    + " and base_lr " + base + " must be >= 0");
        }
        lastEpoch = epoch;
        baseLr = base;
    }
}
