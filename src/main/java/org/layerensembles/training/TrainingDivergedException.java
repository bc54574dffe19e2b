package org.layerensembles.training;

import java.nio.file.Path;

/**
 * Thrown when training produces a non-finite number: a training loss (at a given step), a
 * gradient norm (when clipping), a validation loss, or a weight about to be checkpointed.
 * Nothing non-finite is ever written: the checkpoints on disk are those of the last good epoch.
 * The model in memory may hold the broken values; load {@link #bestCheckpoint()} to get it back.
 */
public final class TrainingDivergedException extends RuntimeException {
    /** Where the non-finite value appeared. */
    public enum Phase {
        /** The total loss of a training batch. */
        TRAINING_LOSS,
        /** The global gradient norm (only computed when clipping). */
        GRADIENT_NORM,
        /** The mean validation loss. */
        VALIDATION_LOSS,
        /** A parameter or buffer of the model, checked before every checkpoint. */
        WEIGHTS
    }

    private final Phase phase;
    private final int epoch;
    private final int step;
    private final double value;
    private final Path bestCheckpoint;

    TrainingDivergedException(String member, Phase phase, int epoch, int step, int steps, double value,
                              Path bestCheckpoint, Path lastCheckpoint) {
        super(message(member, phase, epoch, step, steps, value, bestCheckpoint, lastCheckpoint));
        this.phase = phase;
        this.epoch = epoch;
        this.step = step;
        this.value = value;
        this.bestCheckpoint = bestCheckpoint;
    }

    private static String message(String member, Phase phase, int epoch, int step, int steps, double value,
                                  Path best, Path last) {
        String what = switch (phase) {
            case TRAINING_LOSS -> "training loss " + value + " at epoch " + epoch + ", step " + step + " of " + steps;
            case GRADIENT_NORM -> "gradient norm " + value + " at epoch " + epoch + ", step " + step + " of " + steps;
            case VALIDATION_LOSS -> "validation loss " + value + " at epoch " + epoch;
            case WEIGHTS -> "weights at the end of epoch " + epoch;
        };
        return (member == null ? "" : member + ": ") + "training diverged: non-finite " + what
                + "; nothing was written for this epoch"
                + (best != null ? "; the best checkpoint so far is " + best : "; no best checkpoint had been written yet")
                + (last != null ? " and the last good epoch's is " + last : "");
    }

    public Phase phase() {
        return phase;
    }

    /** The 1-based epoch in which the value appeared. */
    public int epoch() {
        return epoch;
    }

    /** The 1-based step within the epoch for training losses and gradient norms, else 0. */
    public int step() {
        return step;
    }

    /** The non-finite value (NaN for weights). */
    public double value() {
        return value;
    }

    /** The best checkpoint written before, or null when there is none yet. */
    public Path bestCheckpoint() {
        return bestCheckpoint;
    }
}
