package org.layerensembles.training;

import java.nio.file.Path;
import java.util.List;
import org.layerensembles.ensemble.MemberwiseModel;

/**
 * The outcome of {@link Trainer#train} or {@link Trainer#resume}.
 *
 * <p>For a {@link MemberwiseModel} the run's own history is empty, its epochs are 0, the
 * validation figures are the whole ensemble's (every member at its best checkpoint, or at its last
 * weights without {@code restoreBest}), and {@link #members()} holds each member's result.
 *
 * @param stopReason         why the run ended
 * @param lastEpoch          the last epoch that ran (counting epochs of an earlier run that was
 *                           resumed)
 * @param bestEpoch          the epoch of the best validation loss (0 when none)
 * @param bestValidationLoss the best validation loss
 * @param bestValidationDice the combined prediction's mean Dice at the best epoch
 * @param optimizerSteps     optimizer steps taken in all (counting a resumed run's)
 * @param history            one entry per epoch, from epoch 1
 * @param outputDir          the run folder
 * @param bestCheckpoint     the best checkpoint, or null when none was written
 * @param members            each member's result for a memberwise model, else empty
 */
public record TrainingResult(StopReason stopReason, int lastEpoch, int bestEpoch, double bestValidationLoss,
                             double bestValidationDice, long optimizerSteps, List<EpochMetrics> history,
                             Path outputDir, Path bestCheckpoint, List<TrainingResult> members) {
    public TrainingResult {
        history = List.copyOf(history);
        members = List.copyOf(members);
    }
}
