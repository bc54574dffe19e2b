package org.layerensembles.training;

/**
 * What one epoch measured; one row of {@code metrics.csv}.
 *
 * @param epoch              1-based epoch number
 * @param trainLoss          mean training loss of the epoch (per sample, each batch's loss
 *                           weighted by its size), before each step's update
 * @param validationLoss     mean validation loss (same weighting), NaN at an epoch that was not
 *                           validated
 * @param validationDice     mean over validation images of the combined prediction's Dice, NaN
 *                           at an epoch that was not validated
 * @param learningRate       the optimizer's learning rate during the epoch
 * @param seconds            wall time of the epoch (training and validation)
 */
public record EpochMetrics(int epoch, double trainLoss, double validationLoss, double validationDice,
                           double learningRate, double seconds) {
    /** Whether this epoch was validated. */
    public boolean validated() {
        return !Double.isNaN(validationLoss);
    }
}
