package org.layerensembles.metrics;

import java.util.Arrays;
import java.util.List;

/**
 * Reliability-diagram bins over per-pixel confidences (see {@link Calibration}).
 *
 * <p>For bin {@code k}: {@code lower[k]}, {@code upper[k]} its confidence range,
 * {@code count[k]} its pixels, {@code meanConfidence[k]} their mean confidence and
 * {@code accuracy[k]} the fraction of them whose argmax is the true class. An empty bin has
 * {@code count 0} and mean confidence and accuracy 0 (not NaN, so count-weighted sums stay
 * finite; test {@code count} before plotting).
 *
 * <p>Equal-width bins ({@link Calibration#bins}) are {@code [k/B, (k+1)/B)}, the last one closed
 * ({@code [(B-1)/B, 1]}). Equal-mass bins ({@link Calibration#adaptiveBins}) report the smallest
 * and largest confidence they hold as {@code lower} and {@code upper}.
 */
public record ReliabilityBins(double[] lower, double[] upper, long[] count, double[] meanConfidence,
        double[] accuracy) {

    public ReliabilityBins {
        int b = count.length;
        if (b == 0 || lower.length != b || upper.length != b || meanConfidence.length != b || accuracy.length != b) {
            throw new IllegalArgumentException("reliability bins: arrays of unequal or zero length");
        }
        lower = lower.clone();
        upper = upper.clone();
        count = count.clone();
        meanConfidence = meanConfidence.clone();
        accuracy = accuracy.clone();
    }

    @Override
    public double[] lower() {
        return lower.clone();
    }

    @Override
    public double[] upper() {
        return upper.clone();
    }

    @Override
    public long[] count() {
        return count.clone();
    }

    @Override
    public double[] meanConfidence() {
        return meanConfidence.clone();
    }

    @Override
    public double[] accuracy() {
        return accuracy.clone();
    }

    /** The number of bins. */
    public int size() {
        return count.length;
    }

    /** The number of pixels over all bins. */
    public long total() {
        long t = 0;
        for (long c : count) {
            t += c;
        }
        return t;
    }

    /**
     * The bins of several evaluations pooled (e.g. all test images into one reliability diagram):
     * counts add up; mean confidence and accuracy are count-weighted means. All parts must have
     * the same edges (equal-width bins with the same {@code B}); equal-mass bins cannot be pooled
     * this way (recompute them over the pooled pixels).
     */
    public static ReliabilityBins pool(List<ReliabilityBins> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("pool: no bins");
        }
        ReliabilityBins first = parts.get(0);
        int b = first.size();
        long[] count = new long[b];
        double[] conf = new double[b];
        double[] acc = new double[b];
        for (ReliabilityBins p : parts) {
            if (!Arrays.equals(p.lower, first.lower) || !Arrays.equals(p.upper, first.upper)) {
                throw new IllegalArgumentException("pool: bins with different edges");
            }
            for (int k = 0; k < b; k++) {
                count[k] += p.count[k];
                conf[k] += p.count[k] * p.meanConfidence[k];
                acc[k] += p.count[k] * p.accuracy[k];
            }
        }
        for (int k = 0; k < b; k++) {
            if (count[k] > 0) {
                conf[k] /= count[k];
                acc[k] /= count[k];
            }
        }
        return new ReliabilityBins(first.lower, first.upper, count, conf, acc);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReliabilityBins r && Arrays.equals(lower, r.lower) && Arrays.equals(upper, r.upper)
                && Arrays.equals(count, r.count) && Arrays.equals(meanConfidence, r.meanConfidence)
                && Arrays.equals(accuracy, r.accuracy);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(count) * 31 + Arrays.hashCode(meanConfidence);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("ReliabilityBins[");
        for (int k = 0; k < count.length; k++) {
            s.append(k == 0 ? "" : ", ").append(String.format("[%.4f,%.4f] n=%d conf=%.4f acc=%.4f",
                    lower[k], upper[k], count[k], meanConfidence[k], accuracy[k]));
        }
        return s.append(']').toString();
    }
}
