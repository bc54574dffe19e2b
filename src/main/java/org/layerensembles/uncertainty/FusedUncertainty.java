package org.layerensembles.uncertainty;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.cpu.Parallel;

/**
 * The fused Dice-agreement / AULA kernel (METHOD.md §5): one pass over the kept heads'
 * probabilities computing, per pixel, p̄, every head's argmax, the label map, entropy, mutual
 * information, hard-label and soft variance, and accumulating per image the adjacent heads'
 * intersection and size counts (hence the agreement curve and AULA, combined and per class), the
 * map scores, and with a ground truth the NLL sum, the DSC counts and the calibration bins.
 * Results equal {@link Uncertainty}'s (its definitions and choices apply here unchanged).
 *
 * <p>Work is split into tasks of at most {@value #TASK_PIXELS} pixels of one image (boundaries
 * depend only on the image size) run with {@link Parallel}; each task walks its pixels in blocks
 * of {@value #BLOCK}, streaming each head's class planes contiguously, and keeps its own partial
 * sums, which are combined in task order. Arithmetic is scalar double precision with
 * {@link Math#log}, so the output is bit-identical on any number of threads. The per-pixel maps
 * are computed in the same order of operations as the reference, so p̄, the labels, the entropy
 * and MI maps match it exactly; the soft variance uses E[p²] - E[p]² (clamped at 0) instead of
 * the reference's two passes, and scores are summed per task, so those agree to rounding.
 */
public final class FusedUncertainty {
    /** Pixels per parallel task. */
    static final int TASK_PIXELS = 8192;
    /** Pixels per inner block (the per-pixel scratch arrays hold this many). */
    static final int BLOCK = 256;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;

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

    /** One task's partial sums. */
    private static final class Partial {
        final double[] sum = new double[3];   // entropy, MI, variance
        final double[] shift = {Double.NaN, Double.NaN, Double.NaN}; // the task's first value of each map
        final double[] shifted = new double[3]; // Σ (m - shift): well conditioned for the normalised score
        final double[] min = {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY};
        final double[] max = {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY};
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
        long pixels;

        Partial(int t, int c, boolean multi, boolean truth) {
            agreeInter = new long[Math.max(0, t - 1)];
            agreeSize = new long[Math.max(0, t - 1)];
            classInter = multi ? new long[Math.max(0, t - 1) * c] : null;
            classSize = multi ? new long[Math.max(0, t - 1) * c] : null;
            classDiceInter = multi && truth ? new long[c] : null;
            classDiceSize = multi && truth ? new long[c] : null;
            binCount = truth ? new long[CalibrationBins.BINS] : null;
            binConf = truth ? new double[CalibrationBins.BINS] : null;
            binAcc = truth ? new double[CalibrationBins.BINS] : null;
        }

        void addMap(int which, double v) {
            sum[which] += v;
            if (Double.isNaN(shift[which])) {
                shift[which] = v;
            }
            shifted[which] += v - shift[which];
            if (v < min[which]) {
                min[which] = v;
            }
            if (v > max[which]) {
                max[which] = v;
            }
        }
    }

    private static Output run(String op, List<NDArray> headProbabilities, NDArray groundTruth,
                              UncertaintyOptions options, boolean volume) {
        Inputs in = Inputs.check(op, headProbabilities, groundTruth, options);
        final int t = in.t();
        final int n = in.n();
        final int c = in.c();
        final int hw = in.pixels();
        final double eps = options.epsilon();
        final boolean multi = c > 2;
        final boolean hasTruth = in.groundTruth() != null;

        MemorySegment[] headSeg = new MemorySegment[t];
        long[] headBase = new long[t];
        for (int k = 0; k < t; k++) {
            headSeg[k] = in.heads().get(k).segment();
            headBase[k] = in.heads().get(k).offset();
        }
        MemorySegment gtSeg = hasTruth ? in.groundTruth().segment() : null;
        long gtBase = hasTruth ? in.groundTruth().offset() : 0;

        NDArray mean = NDArrays.empty(DType.FLOAT32, n, c, in.h(), in.w());
        NDArray labels = NDArrays.empty(DType.INT32, n, in.h(), in.w());
        NDArray entropy = NDArrays.empty(DType.FLOAT32, n, in.h(), in.w());
        NDArray mi = NDArrays.empty(DType.FLOAT32, n, in.h(), in.w());
        NDArray variance = NDArrays.empty(DType.FLOAT32, n, in.h(), in.w());
        NDArray softVariance = NDArrays.empty(DType.FLOAT32, n, in.h(), in.w());
        MemorySegment meanSeg = mean.segment();
        MemorySegment labelSeg = labels.segment();
        MemorySegment entSeg = entropy.segment();
        MemorySegment miSeg = mi.segment();
        MemorySegment varSeg = variance.segment();
        MemorySegment softSeg = softVariance.segment();
        long meanOff = mean.offset();
        long labelOff = labels.offset();
        long entOff = entropy.offset();
        long miOff = mi.offset();
        long varOff = variance.offset();
        long softOff = softVariance.offset();

        final int tasksPerImage = Parallel.taskCount(hw, TASK_PIXELS);
        final int tasks = Math.multiplyExact(n, tasksPerImage);
        Partial[] partials = new Partial[tasks];

        Parallel.forEach(tasks, task -> {
            int img = task / tasksPerImage;
            int first = (task % tasksPerImage) * TASK_PIXELS;
            int end = Math.min(hw, first + TASK_PIXELS);
            Partial part = new Partial(t, c, multi, hasTruth);
            double[] sum = new double[c * BLOCK];
            double[] sq = new double[c * BLOCK];
            int[] votes = new int[c * BLOCK];
            double[] headEnt = new double[BLOCK];
            float[] best = new float[BLOCK];
            int[] prev = new int[BLOCK];
            int[] cur = new int[BLOCK];
            long mapBase = (long) img * hw;
            long planeBase = (long) img * c * hw;
            for (int x0 = first; x0 < end; x0 += BLOCK) {
                int b = Math.min(BLOCK, end - x0);
                java.util.Arrays.fill(sum, 0, c * BLOCK, 0.0);
                java.util.Arrays.fill(sq, 0, c * BLOCK, 0.0);
                java.util.Arrays.fill(votes, 0, c * BLOCK, 0);
                java.util.Arrays.fill(headEnt, 0, b, 0.0);
                for (int k = 0; k < t; k++) {
                    MemorySegment seg = headSeg[k];
                    long hb = headBase[k] + planeBase + x0;
                    for (int cls = 0; cls < c; cls++) {
                        long pb = hb + (long) cls * hw;
                        int o = cls * BLOCK;
                        for (int i = 0; i < b; i++) {
                            float pf = seg.getAtIndex(F32, pb + i);
                            double p = pf;
                            sum[o + i] += p;
                            sq[o + i] += p * p;
                            headEnt[i] -= p * Math.log(p + eps);
                            if (cls == 0 || pf > best[i]) {
                                best[i] = pf;
                                cur[i] = cls;
                            }
                        }
                    }
                    for (int i = 0; i < b; i++) {
                        votes[cur[i] * BLOCK + i]++;
                    }
                    if (k > 0) {
                        accumulateAgreement(part, k - 1, prev, cur, b, c, multi);
                    }
                    int[] swap = prev;
                    prev = cur;
                    cur = swap;
                }
                for (int i = 0; i < b; i++) {
                    long px = mapBase + x0 + i;
                    double h = 0;
                    double headMean = headEnt[i] / t;
                    int label = 0;
                    double bestMean = 0;
                    double var = 0;
                    double soft = 0;
                    for (int cls = 0; cls < c; cls++) {
                        int o = cls * BLOCK + i;
                        double m = sum[o] / t;
                        meanSeg.setAtIndex(F32, meanOff + planeBase + (long) cls * hw + x0 + i, (float) m);
                        h -= m * Math.log(m + eps);
                        if (cls == 0 || m > bestMean) {
                            bestMean = m;
                            label = cls;
                        }
                        double q = (double) votes[o] / t;
                        var += q * (1 - q);
                        double sv = sq[o] / t - m * m;
                        if (sv > 0) {
                            soft += sv;
                        }
                    }
                    var /= c;
                    double mutual = h - headMean;
                    labelSeg.setAtIndex(I32, labelOff + px, label);
                    entSeg.setAtIndex(F32, entOff + px, (float) h);
                    miSeg.setAtIndex(F32, miOff + px, (float) mutual);
                    varSeg.setAtIndex(F32, varOff + px, (float) var);
                    softSeg.setAtIndex(F32, softOff + px, (float) soft);
                    part.addMap(0, h);
                    part.addMap(1, mutual);
                    part.addMap(2, var);
                    part.pixels++;
                    if (hasTruth) {
                        int g = gtSeg.getAtIndex(I32, gtBase + px);
                        if (g < 0 || g >= c) {
                            throw Inputs.badLabel(g, c, px);
                        }
                        part.nll -= Math.log(sum[g * BLOCK + i] / t + eps);
                        boolean fgPred = label > 0;
                        boolean fgTrue = g > 0;
                        if (fgPred && fgTrue) {
                            part.diceInter++;
                        }
                        part.diceSize += (fgPred ? 1 : 0) + (fgTrue ? 1 : 0);
                        if (multi) {
                            if (label == g) {
                                part.classDiceInter[g]++;
                            }
                            part.classDiceSize[label]++;
                            part.classDiceSize[g]++;
                        }
                        int bin = CalibrationBins.bin(bestMean);
                        part.binCount[bin]++;
                        part.binConf[bin] += bestMean;
                        part.binAcc[bin] += label == g ? 1 : 0;
                        double brier = 0;
                        for (int cls = 0; cls < c; cls++) {
                            double diff = sum[cls * BLOCK + i] / t - (cls == g ? 1 : 0);
                            brier += diff * diff;
                        }
                        part.brier += brier;
                    }
                }
            }
            partials[task] = part;
        });

        return combine(in, volume, options.normalisedScores(), partials, tasksPerImage,
                mean, labels, entropy, mi, variance, softVariance);
    }

    /** Adds the counts of adjacent heads k and k + 1 (labels {@code a}, {@code b}) over a block. */
    private static void accumulateAgreement(Partial part, int k, int[] a, int[] b, int count, int c, boolean multi) {
        long inter = 0;
        long size = 0;
        for (int i = 0; i < count; i++) {
            boolean fa = a[i] > 0;
            boolean fb = b[i] > 0;
            if (fa && fb) {
                inter++;
            }
            size += (fa ? 1 : 0) + (fb ? 1 : 0);
        }
        part.agreeInter[k] += inter;
        part.agreeSize[k] += size;
        if (multi) {
            int base = k * c;
            for (int i = 0; i < count; i++) {
                int la = a[i];
                int lb = b[i];
                if (la == lb) {
                    part.classInter[base + la]++;
                }
                part.classSize[base + la]++;
                part.classSize[base + lb]++;
            }
        }
    }

    private static Output combine(Inputs in, boolean volume, boolean normalised, Partial[] partials, int tasksPerImage,
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
            Partial total = new Partial(t, c, multi, hasTruth);
            for (int task = from; task < to; task++) {
                Partial p = partials[task];
                for (int m = 0; m < 3; m++) {
                    total.sum[m] += p.sum[m];
                    total.min[m] = Math.min(total.min[m], p.min[m]);
                    total.max[m] = Math.max(total.max[m], p.max[m]);
                }
                add(total.agreeInter, p.agreeInter);
                add(total.agreeSize, p.agreeSize);
                if (multi) {
                    add(total.classInter, p.classInter);
                    add(total.classSize, p.classSize);
                }
                total.pixels += p.pixels;
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
                scores[m][g] = normalised ? normalisedSum(partials, from, to, m, total.min[m], total.max[m])
                        : total.sum[m];
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
            pixelCounts[g] = total.pixels;
            if (hasTruth) {
                nll[g] = total.nll / total.pixels;
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
     * Σ (m - min) / (max - min) over the tasks [from, to) of map {@code which}, from each task's
     * Σ (m - shift) and pixel count (every term is bounded by max - min, so no cancellation);
     * 0 for a constant map.
     */
    private static double normalisedSum(Partial[] partials, int from, int to, int which, double min, double max) {
        if (!(max > min)) {
            return 0;
        }
        double s = 0;
        for (int task = from; task < to; task++) {
            Partial p = partials[task];
            s += p.shifted[which] + p.pixels * (p.shift[which] - min);
        }
        return s / (max - min);
    }

    private static void add(long[] into, long[] from) {
        for (int i = 0; i < into.length; i++) {
            into[i] += from[i];
        }
    }
}
