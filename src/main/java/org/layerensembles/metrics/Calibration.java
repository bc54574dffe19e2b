package org.layerensembles.metrics;

import java.util.Arrays;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;

/**
 * Calibration of per-pixel class probabilities against a label map (METHOD.md §5-6): negative
 * log-likelihood, reliability bins, expected calibration error (equal-width and equal-mass bins)
 * and the Brier score. Every metric is exact over every pixel (no subsampling), accumulated in
 * double precision from the float32 probabilities.
 *
 * <p>Inputs: {@code p} is a host float32 array of mean probabilities p̄, shape
 * {@code [N, C, H, W]} or {@code [C, H, W]} (class axis 1, resp. 0); {@code gt} holds the true
 * class of each pixel, row-major {@code [N, H, W]} (or {@code [H, W]}), each in {@code [0, C)}.
 * A batch is treated as one pool of {@code N·H·W} pixels (use {@link #nllPerImage} for one value
 * per image). Probabilities are not renormalised; NaN probabilities are rejected.
 *
 * <p>Per pixel: confidence = max_c p̄_c; prediction = argmax_c p̄_c, ties to the lowest class
 * index (as {@code HeadCombiner}); correct = (prediction == gt).
 * <ul>
 *   <li>NLL = -(1/P) Σ_pixels ln(p̄_true + ε), natural log, ε = 1e-5 by default.
 *   <li>Equal-width bins: bin k = [k/B, (k+1)/B), the last closed at 1 (confidence exactly 1.0 is
 *       in the last bin; anything above 1 from float rounding too, below 0 in the first).
 *   <li>ECE = Σ_k (n_k/P) |acc_k - conf_k|.
 *   <li>Adaptive ECE: confidences sorted ascending and cut by rank into B bins of as equal size
 *       as possible: bin k holds ranks [⌊kP/B⌋, ⌊(k+1)P/B⌋) (sizes differ by at most one; bins
 *       are empty only when P &lt; B). <b>Ties</b>: pixels of equal confidence are
 *       indistinguishable, so a run of equal confidences cut by a bin edge is split by count and
 *       each side receives the run's mean correctness ((correct in run)/(run length)) per pixel.
 *       The result thus depends only on the multiset of (confidence, correct) pairs, never on the
 *       pixel order or on a sort's tie order.
 *   <li>Brier = (1/P) Σ_pixels Σ_c (p̄_c - 1[c = gt])², <b>summed over classes</b> (Brier's
 *       original multi-class definition, range [0, 2]; binary problems with two channels thus
 *       give twice the one-probability binary Brier score).
 * </ul>
 */
public final class Calibration {
    /** ε inside the logarithm (METHOD.md §5). */
    public static final double DEFAULT_EPS = 1e-5;
    /** The number of bins for ECE, adaptive ECE and reliability diagrams (METHOD.md §6). */
    public static final int DEFAULT_BINS = 15;

    private Calibration() {
    }

    /** Every calibration figure of one evaluation, from one read of the probabilities. */
    public record Summary(double nll, double ece, double adaptiveEce, double brier, ReliabilityBins bins,
            ReliabilityBins adaptiveBins) {
    }

    /** NLL = -mean over pixels of ln(p̄(true class) + eps). */
    public static double nll(NDArray meanProbabilities, int[] gt, double eps) {
        return nll(Probs.of(meanProbabilities, gt), gt, eps);
    }

    /** {@link #nll(NDArray, int[], double)} with ε = 1e-5. */
    public static double nll(NDArray meanProbabilities, int[] gt) {
        return nll(meanProbabilities, gt, DEFAULT_EPS);
    }

    /**
     * One NLL per image of an {@code [N, C, H, W]} batch ({@code [C, H, W]} gives one value):
     * METHOD.md's "NLL per image".
     */
    public static double[] nllPerImage(NDArray meanProbabilities, int[] gt, double eps) {
        Probs pr = Probs.of(meanProbabilities, gt);
        double[] out = new double[pr.n];
        for (int img = 0; img < pr.n; img++) {
            double sum = 0;
            for (int x = 0; x < pr.hw; x++) {
                sum += Math.log(pr.p[pr.index(img, gt[img * pr.hw + x], x)] + eps);
            }
            out[img] = -sum / pr.hw;
        }
        return out;
    }

    /** Equal-width reliability bins over confidence = max_c p̄_c. */
    public static ReliabilityBins bins(NDArray meanProbabilities, int[] gt, int bins) {
        Probs pr = Probs.of(meanProbabilities, gt);
        return equalWidth(pr, gt, bins);
    }

    /** ECE = Σ_k (n_k / N) |acc_k - conf_k| over the given bins (equal-width or equal-mass). */
    public static double ece(ReliabilityBins bins) {
        long total = bins.total();
        if (total == 0) {
            throw new IllegalArgumentException("ece: no pixels in the bins");
        }
        long[] count = bins.count();
        double[] acc = bins.accuracy();
        double[] conf = bins.meanConfidence();
        double sum = 0;
        for (int k = 0; k < count.length; k++) {
            if (count[k] > 0) {
                sum += (double) count[k] / total * Math.abs(acc[k] - conf[k]);
            }
        }
        return sum;
    }

    /** ECE with {@code bins} equal-width bins. */
    public static double ece(NDArray meanProbabilities, int[] gt, int bins) {
        return ece(bins(meanProbabilities, gt, bins));
    }

    /** Equal-mass reliability bins (see the class notes for the tie rule). */
    public static ReliabilityBins adaptiveBins(NDArray meanProbabilities, int[] gt, int bins) {
        Probs pr = Probs.of(meanProbabilities, gt);
        return equalMass(pr, gt, bins);
    }

    /** Adaptive ECE: {@link #ece(ReliabilityBins)} over {@code bins} equal-mass bins. */
    public static double adaptiveEce(NDArray meanProbabilities, int[] gt, int bins) {
        return ece(adaptiveBins(meanProbabilities, gt, bins));
    }

    /** Multi-class Brier score, summed over classes, mean over pixels. */
    public static double brier(NDArray meanProbabilities, int[] gt) {
        Probs pr = Probs.of(meanProbabilities, gt);
        return brier(pr, gt);
    }

    /** NLL, ECE, adaptive ECE, Brier and both kinds of bins in one go. */
    public static Summary summarize(NDArray meanProbabilities, int[] gt, int bins, double eps) {
        Probs pr = Probs.of(meanProbabilities, gt);
        ReliabilityBins width = equalWidth(pr, gt, bins);
        ReliabilityBins mass = equalMass(pr, gt, bins);
        return new Summary(nll(pr, gt, eps), ece(width), ece(mass), brier(pr, gt), width, mass);
    }

    // ---- implementation

    private static double nll(Probs pr, int[] gt, double eps) {
        double sum = 0;
        for (int img = 0; img < pr.n; img++) {
            for (int x = 0; x < pr.hw; x++) {
                sum += Math.log(pr.p[pr.index(img, gt[img * pr.hw + x], x)] + eps);
            }
        }
        return -sum / pr.pixels();
    }

    private static double brier(Probs pr, int[] gt) {
        double sum = 0;
        for (int img = 0; img < pr.n; img++) {
            for (int x = 0; x < pr.hw; x++) {
                int truth = gt[img * pr.hw + x];
                for (int c = 0; c < pr.c; c++) {
                    double d = pr.p[pr.index(img, c, x)] - (c == truth ? 1.0 : 0.0);
                    sum += d * d;
                }
            }
        }
        return sum / pr.pixels();
    }

    /** The edges of equal-width bins: lower[k] = k/B, upper[k] = (k+1)/B, upper[B-1] = 1. */
    static double[][] equalWidthEdges(int bins) {
        double[] lower = new double[bins];
        double[] upper = new double[bins];
        for (int k = 0; k < bins; k++) {
            lower[k] = (double) k / bins;
            upper[k] = k == bins - 1 ? 1.0 : (double) (k + 1) / bins;
        }
        return new double[][] {lower, upper};
    }

    /** The equal-width bin of a confidence: lower[k] ≤ conf < upper[k], the last bin closed. */
    static int binOf(double conf, int bins, double[] lower, double[] upper) {
        int k = (int) Math.floor(conf * bins);
        k = Math.max(0, Math.min(bins - 1, k));
        // make membership agree exactly with the reported edges despite rounding in conf * bins
        while (k < bins - 1 && conf >= upper[k]) {
            k++;
        }
        while (k > 0 && conf < lower[k]) {
            k--;
        }
        return k;
    }

    private static ReliabilityBins equalWidth(Probs pr, int[] gt, int bins) {
        checkBins(bins);
        double[][] edges = equalWidthEdges(bins);
        long[] count = new long[bins];
        double[] confSum = new double[bins];
        long[] correct = new long[bins];
        for (int img = 0; img < pr.n; img++) {
            for (int x = 0; x < pr.hw; x++) {
                int best = pr.argmax(img, x);
                double conf = pr.p[pr.index(img, best, x)];
                int k = binOf(conf, bins, edges[0], edges[1]);
                count[k]++;
                confSum[k] += conf;
                if (best == gt[img * pr.hw + x]) {
                    correct[k]++;
                }
            }
        }
        double[] meanConf = new double[bins];
        double[] acc = new double[bins];
        for (int k = 0; k < bins; k++) {
            if (count[k] > 0) {
                meanConf[k] = confSum[k] / count[k];
                acc[k] = (double) correct[k] / count[k];
            }
        }
        return new ReliabilityBins(edges[0], edges[1], count, meanConf, acc);
    }

    private static ReliabilityBins equalMass(Probs pr, int[] gt, int bins) {
        checkBins(bins);
        int total = pr.pixels();
        // key = float bits of the confidence (monotone for non-negative floats) * 2 + correct
        long[] keys = new long[total];
        int i = 0;
        for (int img = 0; img < pr.n; img++) {
            for (int x = 0; x < pr.hw; x++) {
                int best = pr.argmax(img, x);
                float conf = pr.p[pr.index(img, best, x)];
                if (conf < 0) {
                    throw new IllegalArgumentException("adaptive ECE: negative confidence " + conf);
                }
                int bits = Float.floatToIntBits(conf + 0.0f); // -0.0 -> +0.0
                keys[i++] = ((long) bits << 1) | (best == gt[img * pr.hw + x] ? 1L : 0L);
            }
        }
        Arrays.sort(keys);
        long[] count = new long[bins];
        double[] confSum = new double[bins];
        double[] accSum = new double[bins];
        double[] lower = new double[bins];
        double[] upper = new double[bins];
        Arrays.fill(lower, Double.NaN);
        for (int k = 0; k < bins; k++) {
            count[k] = (long) (k + 1) * total / bins - (long) k * total / bins;
        }
        // walk runs of equal confidence, distributing each over the bins its ranks fall in
        int k = 0;
        int start = 0;
        while (start < total) {
            int bits = (int) (keys[start] >>> 1);
            int end = start;
            long correctInRun = 0;
            while (end < total && (int) (keys[end] >>> 1) == bits) {
                correctInRun += keys[end] & 1L;
                end++;
            }
            double conf = Float.intBitsToFloat(bits);
            double runAccuracy = (double) correctInRun / (end - start);
            int pos = start;
            while (pos < end) {
                long binEnd = (long) (k + 1) * total / bins;
                if (pos >= binEnd) {
                    k++;
                    continue;
                }
                int take = (int) Math.min(end, binEnd) - pos;
                confSum[k] += take * conf;
                accSum[k] += take * runAccuracy;
                if (Double.isNaN(lower[k])) {
                    lower[k] = conf;
                }
                upper[k] = conf;
                pos += take;
            }
            start = end;
        }
        double[] meanConf = new double[bins];
        double[] acc = new double[bins];
        for (int b = 0; b < bins; b++) {
            if (count[b] > 0) {
                meanConf[b] = confSum[b] / count[b];
                acc[b] = accSum[b] / count[b];
            } else {
                // an empty bin (only when pixels < bins) sits at the previous bin's top
                lower[b] = b > 0 ? upper[b - 1] : 0.0;
                upper[b] = lower[b];
            }
        }
        return new ReliabilityBins(lower, upper, count, meanConf, acc);
    }

    private static void checkBins(int bins) {
        if (bins < 1) {
            throw new IllegalArgumentException("calibration: " + bins + " bins");
        }
    }

    /** Probabilities read once from a host float32 array, with the checked label map. */
    private static final class Probs {
        final float[] p;
        final int n;
        final int c;
        final int hw;

        private Probs(float[] p, int n, int c, int hw) {
            this.p = p;
            this.n = n;
            this.c = c;
            this.hw = hw;
        }

        static Probs of(NDArray a, int[] gt) {
            if (a.dtype() != DType.FLOAT32) {
                throw new IllegalArgumentException("calibration: probabilities must be float32, not " + a.dtype());
            }
            int[] s = a.shape();
            int n;
            int c;
            long hw;
            if (s.length == 4) {
                n = s[0];
                c = s[1];
                hw = (long) s[2] * s[3];
            } else if (s.length == 3) {
                n = 1;
                c = s[0];
                hw = (long) s[1] * s[2];
            } else {
                throw new IllegalArgumentException("calibration: probabilities of shape " + Arrays.toString(s)
                        + " are neither [N, C, H, W] nor [C, H, W]");
            }
            long pixels = n * hw;
            if (pixels == 0 || c == 0) {
                throw new IllegalArgumentException("calibration: no pixels or no classes in shape " + Arrays.toString(s));
            }
            if (gt.length != pixels) {
                throw new IllegalArgumentException("calibration: " + gt.length + " labels for " + pixels
                        + " pixels of shape " + Arrays.toString(s));
            }
            for (int i = 0; i < gt.length; i++) {
                if (gt[i] < 0 || gt[i] >= c) {
                    throw new IllegalArgumentException("calibration: label " + gt[i] + " at pixel " + i
                            + " is outside [0, " + c + ")");
                }
            }
            float[] p = a.toFloatArray();
            for (int i = 0; i < p.length; i++) {
                if (Float.isNaN(p[i])) {
                    throw new IllegalArgumentException("calibration: NaN probability at element " + i);
                }
            }
            return new Probs(p, n, c, Math.toIntExact(hw));
        }

        int pixels() {
            return n * hw;
        }

        int index(int img, int cls, int x) {
            return (img * c + cls) * hw + x;
        }

        int argmax(int img, int x) {
            int best = 0;
            float bestValue = p[index(img, 0, x)];
            for (int k = 1; k < c; k++) {
                float v = p[index(img, k, x)];
                if (v > bestValue) {
                    best = k;
                    bestValue = v;
                }
            }
            return best;
        }
    }
}
