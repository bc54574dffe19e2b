package org.layerensembles.uncertainty;

import java.util.List;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;

/**
 * The plain multi-pass reference computation of METHOD.md §5 (and the NLL / DSC of §6): readable,
 * double precision, one loop per quantity, no parallelism. {@link FusedUncertainty} computes the
 * same in one parallel pass and is what pipelines should call; this class is its specification
 * and its test oracle.
 *
 * <p>Input: the T <em>kept</em> heads' softmax probabilities, shallow to deep (the caller has
 * already skipped the first S heads), each float32 [N, C, H, W] with C ≥ 2, all the same shape;
 * optionally the ground truth, int32 [N, H, W] with labels in [0, C). C = 2 is "binary";
 * C &gt; 2 is multi-class (class 0 is the background; per-class AULA and DSC are reported for the
 * classes 1..C-1, entry 0 holding NaN).
 *
 * <p>Choices where METHOD.md leaves room (shared by the fused kernel):
 * <ul>
 *   <li>argmax (of p̄ and of each p_t): the first class wins ties.</li>
 *   <li>Hard-label variance: (1/C) Σ_c q_c(1 - q_c) over all C classes, q_c the fraction of heads
 *       voting c; for C = 2 this is exactly the binary q(1 - q).</li>
 *   <li>Soft variance: population variance over heads (divide by T).</li>
 *   <li>Agreement a_k for k = 0..T-2 over adjacent kept heads; DSC of two empty masks is 1.0.
 *       AULA = Σ a_k - (a_0 + a_{T-2})/2 exactly as METHOD.md's formula: T = 2 gives
 *       a_0 - a_0 = 0 (a single point has no area), T = 1 gives no curve and AULA = NaN. With all
 *       heads agreeing AULA = T - 2, its maximum.</li>
 *   <li>Mutual information is not clamped at 0.</li>
 *   <li>Volumes ({@link #computeVolume}): the N slices are one volume; the maps are per voxel as
 *       usual, and every score, the agreement curve, AULA, NLL and DSC are taken over the whole
 *       stack (one entry each); min-max normalisation is over the volume.</li>
 * </ul>
 */
public final class Uncertainty {
    private Uncertainty() {
    }

    /** Per-image uncertainty of a batch of N images. */
    public static UncertaintyResult compute(List<NDArray> headProbabilities, NDArray groundTruth,
                                            UncertaintyOptions options) {
        return run("Uncertainty.compute", headProbabilities, groundTruth, options, false);
    }

    /** Uncertainty of one volume whose slices are the N images of the batch. */
    public static UncertaintyResult computeVolume(List<NDArray> headProbabilities, NDArray groundTruth,
                                                  UncertaintyOptions options) {
        return run("Uncertainty.computeVolume", headProbabilities, groundTruth, options, true);
    }

    /** Reference calibration bins per image (see {@link CalibrationBins}); needs a ground truth. */
    public static CalibrationBins calibration(List<NDArray> headProbabilities, NDArray groundTruth,
                                              UncertaintyOptions options) {
        return calibrationOf("Uncertainty.calibration", headProbabilities, groundTruth, options, false);
    }

    /** Reference calibration bins of one volume (the N slices together). */
    public static CalibrationBins calibrationVolume(List<NDArray> headProbabilities, NDArray groundTruth,
                                                    UncertaintyOptions options) {
        return calibrationOf("Uncertainty.calibrationVolume", headProbabilities, groundTruth, options, true);
    }

    // ------------------------------------------------------------------ the reference passes

    /** The batch read into Java arrays; pixel i of the [N, H, W] maps is (n, x) with i = n*HW + x. */
    private static final class Data {
        final int t;
        final int n;
        final int c;
        final int hw;
        final boolean volume;
        final double[][] p; // [T][N*C*HW]
        final int[] truth;  // [N*HW] or null

        Data(Inputs in, boolean volume) {
            t = in.t();
            n = in.n();
            c = in.c();
            hw = in.pixels();
            this.volume = volume;
            p = new double[t][];
            for (int k = 0; k < t; k++) {
                float[] f = in.heads().get(k).toFloatArray();
                p[k] = new double[f.length];
                for (int j = 0; j < f.length; j++) {
                    p[k][j] = f[j];
                }
            }
            if (in.groundTruth() == null) {
                truth = null;
            } else {
                truth = in.groundTruth().toIntArray();
                for (int i = 0; i < truth.length; i++) {
                    if (truth[i] < 0 || truth[i] >= c) {
                        throw Inputs.badLabel(truth[i], c, i);
                    }
                }
            }
        }

        int pixels() {
            return n * hw;
        }

        /** Index into a [N, C, H, W] array of class k at pixel i. */
        int at(int k, int i) {
            return ((i / hw) * c + k) * hw + i % hw;
        }

        int groups() {
            return volume ? 1 : n;
        }

        int groupStart(int g) {
            return volume ? 0 : g * hw;
        }

        int groupEnd(int g) {
            return volume ? n * hw : (g + 1) * hw;
        }
    }

    private static UncertaintyResult run(String op, List<NDArray> headProbabilities, NDArray groundTruth,
                                         UncertaintyOptions options, boolean volume) {
        Inputs in = Inputs.check(op, headProbabilities, groundTruth, options);
        Data d = new Data(in, volume);
        double eps = options.epsilon();
        int pixels = d.pixels();

        double[] mean = meanProbabilities(d);
        int[] labels = argmaxOverClasses(d, mean);
        int[][] headLabels = new int[d.t][];
        for (int k = 0; k < d.t; k++) {
            headLabels[k] = argmaxOverClasses(d, d.p[k]);
        }

        double[] entropy = new double[pixels];
        for (int i = 0; i < pixels; i++) {
            double e = 0;
            for (int k = 0; k < d.c; k++) {
                double m = mean[d.at(k, i)];
                e -= m * Math.log(m + eps);
            }
            entropy[i] = e;
        }

        double[] mi = new double[pixels];
        for (int i = 0; i < pixels; i++) {
            double headEntropySum = 0;
            for (int t = 0; t < d.t; t++) {
                for (int k = 0; k < d.c; k++) {
                    double p = d.p[t][d.at(k, i)];
                    headEntropySum -= p * Math.log(p + eps);
                }
            }
            mi[i] = entropy[i] - headEntropySum / d.t;
        }

        double[] variance = new double[pixels];
        for (int i = 0; i < pixels; i++) {
            double v = 0;
            for (int k = 0; k < d.c; k++) {
                int votes = 0;
                for (int t = 0; t < d.t; t++) {
                    if (headLabels[t][i] == k) {
                        votes++;
                    }
                }
                double q = (double) votes / d.t;
                v += q * (1 - q);
            }
            variance[i] = v / d.c;
        }

        double[] softVariance = new double[pixels];
        for (int i = 0; i < pixels; i++) {
            double s = 0;
            for (int k = 0; k < d.c; k++) {
                double m = mean[d.at(k, i)];
                double ss = 0;
                for (int t = 0; t < d.t; t++) {
                    double dev = d.p[t][d.at(k, i)] - m;
                    ss += dev * dev;
                }
                s += ss / d.t;
            }
            softVariance[i] = s;
        }

        int groups = d.groups();
        double[] entropyScore = new double[groups];
        double[] miScore = new double[groups];
        double[] varianceScore = new double[groups];
        for (int g = 0; g < groups; g++) {
            entropyScore[g] = score(entropy, d.groupStart(g), d.groupEnd(g), options.normalisedScores());
            miScore[g] = score(mi, d.groupStart(g), d.groupEnd(g), options.normalisedScores());
            varianceScore[g] = score(variance, d.groupStart(g), d.groupEnd(g), options.normalisedScores());
        }

        double[][] agreement = new double[groups][];
        double[] aula = new double[groups];
        for (int g = 0; g < groups; g++) {
            agreement[g] = new double[d.t - 1];
            for (int k = 0; k + 1 < d.t; k++) {
                agreement[g][k] = diceOfClass(headLabels[k], headLabels[k + 1], -1, d.groupStart(g), d.groupEnd(g));
            }
            aula[g] = Inputs.aula(agreement[g]);
        }
        double[][] aulaPerClass = null;
        if (d.c > 2) {
            aulaPerClass = new double[groups][d.c];
            for (int g = 0; g < groups; g++) {
                aulaPerClass[g][0] = Double.NaN;
                for (int cls = 1; cls < d.c; cls++) {
                    double[] curve = new double[d.t - 1];
                    for (int k = 0; k + 1 < d.t; k++) {
                        curve[k] = diceOfClass(headLabels[k], headLabels[k + 1], cls, d.groupStart(g), d.groupEnd(g));
                    }
                    aulaPerClass[g][cls] = Inputs.aula(curve);
                }
            }
        }

        double[] nll = null;
        double[] dice = null;
        double[][] dicePerClass = null;
        if (d.truth != null) {
            nll = new double[groups];
            dice = new double[groups];
            for (int g = 0; g < groups; g++) {
                double s = 0;
                for (int i = d.groupStart(g); i < d.groupEnd(g); i++) {
                    s -= Math.log(mean[d.at(d.truth[i], i)] + eps);
                }
                nll[g] = s / (d.groupEnd(g) - d.groupStart(g));
                dice[g] = diceOfClass(labels, d.truth, -1, d.groupStart(g), d.groupEnd(g));
            }
            if (d.c > 2) {
                dicePerClass = new double[groups][d.c];
                for (int g = 0; g < groups; g++) {
                    dicePerClass[g][0] = Double.NaN;
                    for (int cls = 1; cls < d.c; cls++) {
                        dicePerClass[g][cls] = diceOfClass(labels, d.truth, cls, d.groupStart(g), d.groupEnd(g));
                    }
                }
            }
        }

        int[] mapShape = {d.n, in.h(), in.w()};
        return new UncertaintyResult(
                NDArrays.of(mean, d.n, d.c, in.h(), in.w()),
                NDArrays.of(labels, mapShape),
                NDArrays.of(entropy, mapShape),
                NDArrays.of(mi, mapShape),
                NDArrays.of(variance, mapShape),
                NDArrays.of(softVariance, mapShape),
                entropyScore, miScore, varianceScore, agreement, aula, aulaPerClass, nll, dice, dicePerClass);
    }

    /** p̄ = (Σ_t p_t) / T, summing heads in order. */
    private static double[] meanProbabilities(Data d) {
        double[] mean = new double[d.p[0].length];
        for (int t = 0; t < d.t; t++) {
            for (int j = 0; j < mean.length; j++) {
                mean[j] += d.p[t][j];
            }
        }
        for (int j = 0; j < mean.length; j++) {
            mean[j] /= d.t;
        }
        return mean;
    }

    /** argmax over classes of a [N, C, H, W] array, per pixel; the first class wins ties. */
    private static int[] argmaxOverClasses(Data d, double[] probs) {
        int[] out = new int[d.pixels()];
        for (int i = 0; i < out.length; i++) {
            int best = 0;
            for (int k = 1; k < d.c; k++) {
                if (probs[d.at(k, i)] > probs[d.at(best, i)]) {
                    best = k;
                }
            }
            out[i] = best;
        }
        return out;
    }

    /** DSC of two label maps over pixels [start, end): foreground = label > 0 when cls < 0, else == cls. */
    private static double diceOfClass(int[] a, int[] b, int cls, int start, int end) {
        long inter = 0;
        long sizes = 0;
        for (int i = start; i < end; i++) {
            boolean inA = cls < 0 ? a[i] > 0 : a[i] == cls;
            boolean inB = cls < 0 ? b[i] > 0 : b[i] == cls;
            if (inA && inB) {
                inter++;
            }
            sizes += (inA ? 1 : 0) + (inB ? 1 : 0);
        }
        return Inputs.dice(inter, sizes);
    }

    /** A map's score over [start, end): its sum, or the sum of its min-max-normalised values. */
    private static double score(double[] map, int start, int end, boolean normalised) {
        if (!normalised) {
            double s = 0;
            for (int i = start; i < end; i++) {
                s += map[i];
            }
            return s;
        }
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = start; i < end; i++) {
            min = Math.min(min, map[i]);
            max = Math.max(max, map[i]);
        }
        if (!(max > min)) {
            return 0;
        }
        double s = 0;
        for (int i = start; i < end; i++) {
            s += (map[i] - min) / (max - min);
        }
        return s;
    }

    private static CalibrationBins calibrationOf(String op, List<NDArray> headProbabilities, NDArray groundTruth,
                                                 UncertaintyOptions options, boolean volume) {
        if (groundTruth == null) {
            throw new IllegalArgumentException(op + ": calibration needs a ground truth");
        }
        Inputs in = Inputs.check(op, headProbabilities, groundTruth, options);
        Data d = new Data(in, volume);
        double[] mean = meanProbabilities(d);
        int[] labels = argmaxOverClasses(d, mean);
        int groups = d.groups();
        long[][] counts = new long[groups][CalibrationBins.BINS];
        double[][] conf = new double[groups][CalibrationBins.BINS];
        double[][] acc = new double[groups][CalibrationBins.BINS];
        double[] brier = new double[groups];
        long[] pixels = new long[groups];
        for (int g = 0; g < groups; g++) {
            for (int i = d.groupStart(g); i < d.groupEnd(g); i++) {
                double confidence = mean[d.at(labels[i], i)];
                int b = CalibrationBins.bin(confidence);
                counts[g][b]++;
                conf[g][b] += confidence;
                acc[g][b] += labels[i] == d.truth[i] ? 1 : 0;
                for (int k = 0; k < d.c; k++) {
                    double diff = mean[d.at(k, i)] - (k == d.truth[i] ? 1 : 0);
                    brier[g] += diff * diff;
                }
                pixels[g]++;
            }
        }
        return new CalibrationBins(counts, conf, acc, brier, pixels);
    }
}
