package org.layerensembles.uncertainty;

import java.util.List;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.Backends;
import org.layerensembles.core.cpu.Parallel;

/**
 * The fused Dice-agreement / AULA kernel (METHOD.md §5): one pass over the kept heads'
 * probabilities computing, per pixel, p̄, every head's argmax, the label map, entropy, mutual
 * information, hard-label and soft variance, and accumulating per image the adjacent heads'
 * intersection and size counts (hence the agreement curve and AULA, combined and per class), the
 * map scores, and with a ground truth the NLL sum, the DSC counts and the calibration bins.
 * {@link Uncertainty}'s definitions and choices apply unchanged.
 *
 * <p>Work is split into tasks of {@value #TASK_PIXELS} pixels of one image, the image's last task
 * taking the rest (boundaries depend only on the image size), run with {@link Parallel}; each task walks its pixels in
 * strips of a few float vectors, reading every head's class planes there once ({@link FusedGroups}),
 * and keeps its own partial sums ({@link TaskSums}), which are combined in task order. Every value is
 * computed with IEEE-exact vector operations and a deterministic logarithm, and partial sums are
 * split by pixel position, not by vector width or thread: the output is bit-identical on any
 * number of threads.
 *
 * <p>Agreement with the reference (tests check these bounds):
 * <ul>
 *   <li>exact: p̄ (summed and divided in double in the reference's order), the labels, the
 *       hard-label variance, every count (agreement curves, AULA, DSC, calibration counts and
 *       accuracy), and the ground-truth statistics (NLL, Brier, confidence sums, computed per
 *       pixel in double with {@link Math#log}) up to their summation order (relative 1e-12);</li>
 *   <li>the entropy and the MI use a float32 logarithm (about 2 ulp) of float32 arguments and
 *       float32 sums over the classes: each is within 1e-6 * (1 + H) of the reference, H the
 *       entropy at that pixel; MI, a difference of two entropies, has that absolute error, so a
 *       tiny MI can be off by much more than its own size (but equal heads give exactly 0);</li>
 *   <li>the soft variance, Σ_c (Σ_t p² / T - p̄²) in double (the squares of the float inputs and
 *       their sums are exact), clamped at 0: within 1e-6 absolutely, in practice within a float
 *       rounding (exactly 0 for equal heads);</li>
 *   <li>the scores (sums of the entropy, MI and variance maps) carry those per-pixel errors.</li>
 * </ul>
 */
public final class FusedUncertainty {
    /** Pixels per parallel task. */
    static final int TASK_PIXELS = 8192;

    private FusedUncertainty() {
    }

    /** The result together with the calibration bins (null without a ground truth). */
    public record Output(UncertaintyResult result, CalibrationBins calibration) {
    }

    /** Per-image uncertainty of a batch of N images; see {@link Uncertainty#compute}. */
    public static UncertaintyResult compute(List<NDArray> headProbabilities, NDArray groundTruth,
                                            UncertaintyOptions options) {
        return run("FusedUncertainty.compute", headProbabilities, groundTruth, options, false).result();
    }

    /** Uncertainty of one volume made of the N slices; see {@link Uncertainty#computeVolume}. */
    public static UncertaintyResult computeVolume(List<NDArray> headProbabilities, NDArray groundTruth,
                                                  UncertaintyOptions options) {
        return run("FusedUncertainty.computeVolume", headProbabilities, groundTruth, options, true).result();
    }

    /** As {@link #compute}, plus the per-image calibration bins when a ground truth is given. */
    public static Output computeWithCalibration(List<NDArray> headProbabilities, NDArray groundTruth,
                                                UncertaintyOptions options) {
        return run("FusedUncertainty.computeWithCalibration", headProbabilities, groundTruth, options, false);
    }

    /** As {@link #computeVolume}, plus the volume's calibration bins when a ground truth is given. */
    public static Output computeVolumeWithCalibration(List<NDArray> headProbabilities, NDArray groundTruth,
                                                      UncertaintyOptions options) {
        return run("FusedUncertainty.computeVolumeWithCalibration", headProbabilities, groundTruth, options, true);
    }

    // ------------------------------------------------------------------ kernel

    private static Output run(String op, List<NDArray> headProbabilities, NDArray groundTruth,
                              UncertaintyOptions options, boolean volume) {
        Inputs in = Inputs.check(op, headProbabilities, groundTruth, options);
        final int t = in.t();
        final int n = in.n();
        final int c = in.c();
        final int hw = in.pixels();
        final boolean multi = c > 2;
        final boolean hasTruth = in.groundTruth() != null;
        // Images smaller than one vector are padded with zeros (the padding is not counted).
        final int stride = Math.max(hw, FusedGroups.L);
        List<NDArray> heads = in.heads();
        NDArray truth = in.groundTruth();
        if (stride != hw) {
            heads = heads.stream().map(h -> padded(h.reshape(n, c, hw), stride)).toList();
            truth = hasTruth ? padded(truth.reshape(n, hw), stride) : null;
        }

        NDArray mean = NDArrays.empty(DType.FLOAT32, n, c, stride);
        NDArray labels = NDArrays.empty(DType.INT32, n, stride);
        NDArray entropy = NDArrays.empty(DType.FLOAT32, n, stride);
        NDArray mi = NDArrays.empty(DType.FLOAT32, n, stride);
        NDArray variance = NDArrays.empty(DType.FLOAT32, n, stride);
        NDArray softVariance = NDArrays.empty(DType.FLOAT32, n, stride);
        FusedGroups.Outputs out = new FusedGroups.Outputs(mean.segment(), mean.offset(), labels.segment(),
                labels.offset(), entropy.segment(), entropy.offset(), mi.segment(), mi.offset(), variance.segment(),
                variance.offset(), softVariance.segment(), softVariance.offset());

        // Tasks of TASK_PIXELS pixels, the last of an image taking the rest (so none is shorter
        // than a vector): boundaries depend on the image size only.
        final int tasksPerImage = Math.max(1, stride / TASK_PIXELS);
        final int tasks = Math.multiplyExact(n, tasksPerImage);
        TaskSums[] partials = new TaskSums[tasks];
        final List<NDArray> kernelHeads = heads;
        final NDArray kernelTruth = truth;
        Parallel.forEach(tasks, task -> {
            int img = task / tasksPerImage;
            int index = task % tasksPerImage;
            int first = index * TASK_PIXELS;
            int end = index == tasksPerImage - 1 ? stride : first + TASK_PIXELS;
            TaskSums sums = new TaskSums(Math.min(end, hw) - first, t, c, multi, hasTruth);
            new FusedGroups(kernelHeads, kernelTruth, c, stride, hw, options.epsilon(),
                    options.normalisedScores(), out).run(img, first, end, sums);
            partials[task] = sums;
        });

        int[] mapShape = {n, in.h(), in.w()};
        return combine(in, volume, options.normalisedScores(), partials, tasksPerImage,
                unpadded(mean, hw, n, c, in.h(), in.w()), unpadded(labels, hw, mapShape),
                unpadded(entropy, hw, mapShape), unpadded(mi, hw, mapShape), unpadded(variance, hw, mapShape),
                unpadded(softVariance, hw, mapShape));
    }

    /** x [..., hw] copied into zeros [..., stride]. */
    private static NDArray padded(NDArray x, int stride) {
        int[] shape = x.shape().clone();
        int hw = shape[shape.length - 1];
        shape[shape.length - 1] = stride;
        NDArray p = NDArrays.zeros(x.dtype(), shape);
        Backends.cpu().copy(x, p.slice(shape.length - 1, 0, hw));
        return p;
    }

    /** The first hw pixels of each plane of x [..., stride], as an array of the given shape. */
    private static NDArray unpadded(NDArray x, int hw, int... shape) {
        int last = x.rank() - 1;
        if (x.size(last) == hw) {
            return x.reshape(shape);
        }
        NDArray r = NDArrays.empty(x.dtype(), shape);
        Backends.cpu().copy(x.slice(last, 0, hw), r.reshape(x.slice(last, 0, hw).shape()));
        return r;
    }

    private static Output combine(Inputs in, boolean volume, boolean normalised, TaskSums[] partials, int tasksPerImage,
                                  NDArray mean, NDArray labels, NDArray entropy, NDArray mi, NDArray variance,
                                  NDArray softVariance) {
        int t = in.t();
        int c = in.c();
        boolean multi = c > 2;
        boolean hasTruth = in.groundTruth() != null;
        int groups = volume ? 1 : in.n();
        double[][] scores = new double[3][groups];
        double[][] agreement = new double[groups][];
        double[] aula = new double[groups];
        double[][] aulaPerClass = multi ? new double[groups][c] : null;
        double[] nll = hasTruth ? new double[groups] : null;
        double[] dice = hasTruth ? new double[groups] : null;
        double[][] dicePerClass = multi && hasTruth ? new double[groups][c] : null;
        long[][] binCount = hasTruth ? new long[groups][] : null;
        double[][] binConf = hasTruth ? new double[groups][] : null;
        double[][] binAcc = hasTruth ? new double[groups][] : null;
        double[] brier = hasTruth ? new double[groups] : null;
        long[] pixelCounts = new long[groups];

        for (int g = 0; g < groups; g++) {
            int from = volume ? 0 : g * tasksPerImage;
            int to = volume ? partials.length : (g + 1) * tasksPerImage;
            TaskSums total = new TaskSums(0, t, c, multi, hasTruth);
            double[] min = {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY};
            double[] max = {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY};
            double[] sum = new double[3];
            long pixels = 0;
            for (int task = from; task < to; task++) {
                TaskSums p = partials[task];
                for (int m = 0; m < 3; m++) {
                    sum[m] += p.sum(m);
                    min[m] = Math.min(min[m], p.min(m));
                    max[m] = Math.max(max[m], p.max(m));
                }
                add(total.agreeInter, p.agreeInter);
                add(total.agreeSize, p.agreeSize);
                if (multi) {
                    add(total.classInter, p.classInter);
                    add(total.classSize, p.classSize);
                }
                pixels += p.pixels;
                if (hasTruth) {
                    total.nll += p.nll;
                    total.diceInter += p.diceInter;
                    total.diceSize += p.diceSize;
                    if (multi) {
                        add(total.classDiceInter, p.classDiceInter);
                        add(total.classDiceSize, p.classDiceSize);
                    }
                    add(total.binCount, p.binCount);
                    for (int b = 0; b < CalibrationBins.BINS; b++) {
                        total.binConf[b] += p.binConf[b];
                        total.binAcc[b] += p.binAcc[b];
                    }
                    total.brier += p.brier;
                }
            }
            for (int m = 0; m < 3; m++) {
                scores[m][g] = normalised ? normalisedSum(partials, from, to, m, min[m], max[m]) : sum[m];
            }
            agreement[g] = new double[t - 1];
            for (int k = 0; k + 1 < t; k++) {
                agreement[g][k] = Inputs.dice(total.agreeInter[k], total.agreeSize[k]);
            }
            aula[g] = Inputs.aula(agreement[g]);
            if (multi) {
                aulaPerClass[g][0] = Double.NaN;
                for (int cls = 1; cls < c; cls++) {
                    double[] curve = new double[t - 1];
                    for (int k = 0; k + 1 < t; k++) {
                        curve[k] = Inputs.dice(total.classInter[k * c + cls], total.classSize[k * c + cls]);
                    }
                    aulaPerClass[g][cls] = Inputs.aula(curve);
                }
            }
            pixelCounts[g] = pixels;
            if (hasTruth) {
                nll[g] = total.nll / pixels;
                dice[g] = Inputs.dice(total.diceInter, total.diceSize);
                if (multi) {
                    dicePerClass[g][0] = Double.NaN;
                    for (int cls = 1; cls < c; cls++) {
                        dicePerClass[g][cls] = Inputs.dice(total.classDiceInter[cls], total.classDiceSize[cls]);
                    }
                }
                binCount[g] = total.binCount;
                binConf[g] = total.binConf;
                binAcc[g] = total.binAcc;
                brier[g] = total.brier;
            }
        }
        UncertaintyResult result = new UncertaintyResult(mean, labels, entropy, mi, variance, softVariance,
                scores[0], scores[1], scores[2], agreement, aula, aulaPerClass, nll, dice, dicePerClass);
        CalibrationBins calibration = hasTruth ? new CalibrationBins(binCount, binConf, binAcc, brier, pixelCounts)
                : null;
        return new Output(result, calibration);
    }

    /**
     * Σ (m - min) / (max - min) over the tasks [from, to) of map {@code which} (see
     * {@link TaskSums}); 0 for a constant map.
     */
    private static double normalisedSum(TaskSums[] partials, int from, int to, int which, double min, double max) {
        if (!(max > min)) {
            return 0;
        }
        double s = 0;
        for (int task = from; task < to; task++) {
            s += partials[task].sumAbove(which, min);
        }
        return s / (max - min);
    }

    private static void add(long[] into, long[] from) {
        for (int i = 0; i < into.length; i++) {
            into[i] += from[i];
        }
    }
}
