package org.layerensembles.report;

/**
 * A quality-control curve (METHOD.md §6, paper Fig. 2) with its random and ideal references.
 * All arrays have {@link QualityControl#POINTS} entries, one per flagged fraction.
 *
 * @param fractions     the flagged fractions f = linspace(0, 1, 50)
 * @param remainingPoor fraction of all N images that are unflagged and poor (dice &lt; τ) when the
 *                      floor(N·f) most uncertain images are flagged
 * @param area          trapezoid area under {@code remainingPoor}, dx = 1/49; lower is better
 * @param random        expected curve for a random order: (1 - f)·(poor fraction)
 * @param randomArea    area under {@code random}
 * @param ideal         curve when the poor images are flagged first
 * @param idealArea     area under {@code ideal}
 */
public record QcCurve(double[] fractions, double[] remainingPoor, double area, double[] random,
                      double randomArea, double[] ideal, double idealArea) {
}
