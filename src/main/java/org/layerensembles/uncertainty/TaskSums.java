package org.layerensembles.uncertainty;

import java.util.Arrays;

/**
 * One task's partial results in {@link FusedUncertainty}: counts (exact) and sums (double).
 *
 * <p>The three score maps (entropy, MI, hard-label variance) are summed in {@value #POSITIONS}
 * partial sums, pixel i of the task going to partial i mod {@value #POSITIONS}, whatever the
 * vector width; each partial keeps a shift (its first pixel's value), the sum of (value - shift),
 * and, for the normalised scores only, its min and max (else they stay at +inf and -inf). Then the plain sum is Σ (shifted + n * shift) and the min-max normalised
 * sum Σ (shifted + n * (shift - min)) / (max - min), n the partial's pixel count: every term is
 * bounded, so neither loses digits to cancellation.
 */
final class TaskSums {
    /** Partial sums per score map: a fixed number, so sums do not depend on the vector width. */
    static final int POSITIONS = Math.max(16, FusedGroups.L);

    static final int ENTROPY = 0;
    static final int MI = 1;
    static final int VARIANCE = 2;

    /** The task's pixel count. */
    final int pixels;
    final double[][] shift = new double[3][POSITIONS];
    final double[][] shifted = new double[3][POSITIONS];
    final double[][] min = new double[3][POSITIONS];
    final double[][] max = new double[3][POSITIONS];
    final long[] agreeInter;
    final long[] agreeSize;
    final long[] classInter;  // [k * C + c], multi-class only
    final long[] classSize;
    double nll;
    long diceInter;
    long diceSize;
    final long[] classDiceInter;
    final long[] classDiceSize;
    final long[] binCount;
    final double[] binConf;
    final double[] binAcc;
    double brier;

    TaskSums(int pixels, int t, int c, boolean multi, boolean truth) {
        this.pixels = pixels;
        for (int m = 0; m < 3; m++) {
            Arrays.fill(min[m], Double.POSITIVE_INFINITY);
            Arrays.fill(max[m], Double.NEGATIVE_INFINITY);
        }
        int pairs = Math.max(0, t - 1);
        agreeInter = new long[pairs];
        agreeSize = new long[pairs];
        classInter = multi ? new long[pairs * c] : null;
        classSize = multi ? new long[pairs * c] : null;
        classDiceInter = multi && truth ? new long[c] : null;
        classDiceSize = multi && truth ? new long[c] : null;
        binCount = truth ? new long[CalibrationBins.BINS] : null;
        binConf = truth ? new double[CalibrationBins.BINS] : null;
        binAcc = truth ? new double[CalibrationBins.BINS] : null;
    }

    /** Pixels of the task in partial {@code position}. */
    long count(int position) {
        return position < pixels ? (pixels - 1 - position) / POSITIONS + 1 : 0;
    }

    /** Σ of map {@code which} over the task. */
    double sum(int which) {
        double s = 0;
        for (int i = 0; i < POSITIONS; i++) {
            long n = count(i);
            if (n > 0) {
                s += shifted[which][i] + n * shift[which][i];
            }
        }
        return s;
    }

    /** Σ (m - min) over the task, for the normalised score; every term is at most max - min. */
    double sumAbove(int which, double globalMin) {
        double s = 0;
        for (int i = 0; i < POSITIONS; i++) {
            long n = count(i);
            if (n > 0) {
                s += shifted[which][i] + n * (shift[which][i] - globalMin);
            }
        }
        return s;
    }

    double min(int which) {
        double m = Double.POSITIVE_INFINITY;
        for (double v : min[which]) {
            m = Math.min(m, v);
        }
        return m;
    }

    double max(int which) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : max[which]) {
            m = Math.max(m, v);
        }
        return m;
    }
}
