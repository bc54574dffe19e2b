package org.layerensembles.cuda;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.HeadChecks;

/**
 * The fused Dice-agreement / AULA uncertainty kernel on the GPU (uncertainty.cu; METHOD.md
 * section 5): one pass over the kept heads' softmax probabilities computes every per-pixel map on
 * the device and, per image (or per volume), the sums and counts from which all image-level
 * results follow. Block reductions only: each block of 2048 pixels of one image folds its
 * pixels in shared memory and registers into one partial record, and a second small kernel
 * combines an image's partials in block order; integer counts come from warp ballots, with no
 * atomics. Everything is deterministic.
 *
 * <p>Definitions are those of {@code org.layerensembles.uncertainty.Uncertainty} (module src),
 * with ε inside every logarithm; per pixel x of image n, heads t = 0..T-1 (the kept heads,
 * shallow to deep), classes c = 0..C-1:
 * <ul>
 *   <li>{@link Result#meanProbabilities()} float32 [N, C, H, W]: p̄(c, x) = (1/T) Σ_t p_t(c, x)
 *       (summed in double, in head order, then rounded);</li>
 *   <li>{@link Result#labels()} int32 [N, H, W]: argmax_c p̄ (first class on ties); each head's own
 *       label L_t is argmax_c p_t likewise (not stored);</li>
 *   <li>{@link Result#entropy()}: H = -Σ_c p̄ ln(p̄ + ε);</li>
 *   <li>{@link Result#mutualInformation()}: H - (1/T) Σ_t [-Σ_c p_t ln(p_t + ε)] (not clamped);</li>
 *   <li>{@link Result#variance()}: (1/C) Σ_c q_c (1 - q_c), q_c the fraction of heads with L_t = c;</li>
 *   <li>{@link Result#softVariance()}: Σ_c max(0, mean_t p_t² - p̄²) (population variance over heads).</li>
 * </ul>
 * See {@link Counts} for the per-group values and how the image-level results are made of them.
 */
public final class CudaLayerAgreement {
    public static final int MAX_HEADS = 32;
    public static final int MAX_CLASSES = 16;
    /** Equal-width calibration bins over [0, 1] (a confidence s falls in min(14, floor(15 s))). */
    public static final int BINS = 15;

    // The record layout of uncertainty.cu (a CPU test compares these with its #defines).
    static final int REC_PIXELS = 0;
    static final int REC_SUM = 1;
    static final int REC_MIN = 4;
    static final int REC_MAX = 7;
    static final int REC_SHIFT = 10;
    static final int REC_NLL = 16;
    static final int REC_BRIER = 17;
    static final int REC_BIN_CONF = 18;
    static final int REC_INT = REC_BIN_CONF + BINS;
    static final int BLOCK_PIXELS = 2048;
    private static final int THREADS = 256;
    private static final int MAX_IMAGES = 65535; // the grid's y extent

    private final Gpu gpu;

    public CudaLayerAgreement(CudaBackend backend) {
        this.gpu = backend.gpu();
    }

    /**
     * Per-pixel maps on the device (in the caller's memory scope) and the per-group counts on the
     * host. Groups are the N images, or one group for the whole batch when it was computed as a
     * volume.
     */
    public record Result(NDArray meanProbabilities, NDArray labels, NDArray entropy, NDArray mutualInformation,
                         NDArray variance, NDArray softVariance, List<Counts> groups) {
    }

    /**
     * Sums and counts over the pixels of one group (an image, or all slices of a volume). The
     * image-level results of {@code UncertaintyResult} and {@code CalibrationBins} follow
     * mechanically, with dice(i, s) = s == 0 ? 1 : 2 i / s and aula(a) = Σ a_k - (a_0 + a_last)/2
     * (NaN for an empty curve):
     * <ul>
     *   <li>score of map m (0 entropy, 1 mutual information, 2 hard-label variance):
     *       {@code mapSums[m]}, or with normalised scores {@code normalisedSums[m]} =
     *       Σ_x (m(x) - min) / (max - min), 0 for a constant map;</li>
     *   <li>agreement a_k = dice(agreeIntersection[k], agreeSizeSum[k]) for k = 0..T-2, where
     *       agreeIntersection[k] = |{x: L_k(x) > 0 and L_{k+1}(x) > 0}| and agreeSizeSum[k] =
     *       |{x: L_k(x) > 0}| + |{x: L_{k+1}(x) > 0}|; AULA = aula(a);</li>
     *   <li>per-class AULA (C > 2; else the class arrays are null): class c's curve is
     *       dice(classIntersection[k][c], classSizeSum[k][c]) with L == c in place of L > 0;
     *       entry 0 (background) is reported as NaN;</li>
     *   <li>with a ground truth g (otherwise the truth fields are 0 and the class arrays null):
     *       NLL = nllSum / pixels where nllSum = -Σ_x ln(p̄(g(x), x) + ε); DSC =
     *       dice(diceIntersection, diceSizeSum) on labels > 0 vs g > 0; per-class DSC (C > 2) from
     *       classDiceIntersection[c], classDiceSizeSum[c] with == c; calibration: binCounts[b]
     *       pixels whose confidence max_c p̄ falls in bin b, binConfidenceSums[b] their
     *       confidences' sum, binCorrect[b] those whose label equals g (CalibrationBins'
     *       accuracySums), brierSum = Σ_x Σ_c (p̄(c, x) - [c == g(x)])².</li>
     * </ul>
     */
    public record Counts(long pixels, double[] mapSums, double[] mapMin, double[] mapMax, double[] normalisedSums,
                         long[] agreeIntersection, long[] agreeSizeSum, long[][] classIntersection,
                         long[][] classSizeSum, double nllSum, long diceIntersection, long diceSizeSum,
                         long[] classDiceIntersection, long[] classDiceSizeSum, long[] binCounts,
                         double[] binConfidenceSums, long[] binCorrect, double brierSum) {
    }

    /**
     * Computes over the kept heads' probabilities, each float32 [N, C, H, W] on this backend's
     * device (2 <= C <= {@value #MAX_CLASSES}, at most {@value #MAX_HEADS} heads), and the ground
     * truth (int32 [N, H, W] on the device, labels in [0, C)) or null. With {@code volume} the N
     * images are the slices of one volume: one group.
     */
    public Result compute(List<NDArray> headProbabilities, NDArray groundTruth, double epsilon, boolean volume) {
        String op = "CudaLayerAgreement.compute";
        if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
            throw new IllegalArgumentException(op + ": epsilon must be finite and non-negative, got " + epsilon);
        }
        int[] shape = HeadChecks.probabilities(op, headProbabilities);
        int t = headProbabilities.size();
        if (t > MAX_HEADS) {
            throw new IllegalArgumentException(op + ": at most " + MAX_HEADS + " heads, got " + t);
        }
        int n = shape[0];
        int c = shape[1];
        int h = shape[2];
        int w = shape[3];
        if (c > MAX_CLASSES) {
            throw new IllegalArgumentException(op + ": needs 2 to " + MAX_CLASSES + " classes, got " + c);
        }
        if (n > MAX_IMAGES) {
            throw new IllegalArgumentException(op + ": input too large " + Arrays.toString(shape));
        }
        HeadChecks.groundTruth(op, groundTruth, n, h, w);
        List<NDArray> heads = new ArrayList<>(t);
        for (int i = 0; i < t; i++) {
            gpu.require(op, "head " + i, headProbabilities.get(i));
            heads.add(gpu.contiguous(headProbabilities.get(i)));
        }
        NDArray truth = null;
        if (groundTruth != null) {
            gpu.require(op, "ground truth", groundTruth);
            truth = gpu.contiguous(groundTruth);
        }
        int hw = h * w;
        NDArray mean = gpu.empty(DType.FLOAT32, n, c, h, w);
        NDArray labels = gpu.empty(DType.INT32, n, h, w);
        NDArray entropy = gpu.empty(DType.FLOAT32, n, h, w);
        NDArray mi = gpu.empty(DType.FLOAT32, n, h, w);
        NDArray variance = gpu.empty(DType.FLOAT32, n, h, w);
        NDArray soft = gpu.empty(DType.FLOAT32, n, h, w);

        int intFields = intFields(t, c);
        int recordSize = REC_INT + intFields;
        int blocksPerImage = (hw + BLOCK_PIXELS - 1) / BLOCK_PIXELS;
        int groups = volume ? 1 : n;
        double[] records;
        int[] error;
        try (Gpu.Scratch partials = gpu.scratch(8L * n * blocksPerImage * recordSize);
             Gpu.Scratch combined = gpu.scratch(8L * groups * recordSize);
             Gpu.Scratch errorFlag = gpu.scratch(8)) {
            gpu.runtime().memsetD32(errorFlag.address, 0, 2);
            KernelArgs args = KernelArgs.create();
            for (int k = 0; k < MAX_HEADS; k++) {
                args.ptr(k < t ? Gpu.address(heads.get(k)) : 0);
            }
            args.i32(t).i32(c).i32(hw).ptr(truth == null ? 0 : Gpu.address(truth)).f64(epsilon)
                    .ptr(Gpu.address(mean)).ptr(Gpu.address(labels)).ptr(Gpu.address(entropy)).ptr(Gpu.address(mi))
                    .ptr(Gpu.address(variance)).ptr(Gpu.address(soft)).ptr(partials.address).i32(recordSize)
                    .ptr(errorFlag.address);
            gpu.launch("uncertainty", "agreement_blocks", Grid.of(blocksPerImage, n), Block.of(THREADS),
                    (THREADS / 32) * intFields * 4, args);
            gpu.launch("uncertainty", "agreement_combine", Grid.of(groups), Block.of(THREADS), 0,
                    KernelArgs.create().ptr(partials.address).ptr(combined.address)
                            .i32(volume ? n * blocksPerImage : blocksPerImage).i32(recordSize));
            error = gpu.readError(errorFlag.address);
            records = gpu.readDoubles(combined.address, groups * recordSize);
        }
        if (error[0] != 0) {
            throw new IllegalArgumentException(op + ": ground truth label " + error[1] + " is outside [0, " + c + ")");
        }
        List<Counts> counts = new ArrayList<>(groups);
        for (int g = 0; g < groups; g++) {
            counts.add(counts(records, g * recordSize, t, c, truth != null));
        }
        return new Result(mean, labels, entropy, mi, variance, soft, List.copyOf(counts));
    }

    /**
     * As {@link #compute(List, NDArray, double, boolean)} with the heads stacked in one float32
     * array [T, N, C, H, W] on the device.
     */
    public Result compute(NDArray stackedHeads, NDArray groundTruth, double epsilon, boolean volume) {
        if (stackedHeads == null || stackedHeads.rank() != 5) {
            throw new IllegalArgumentException("CudaLayerAgreement.compute: stacked heads must be [T, N, C, H, W], got "
                    + stackedHeads);
        }
        List<NDArray> heads = new ArrayList<>();
        for (int k = 0; k < stackedHeads.size(0); k++) {
            heads.add(stackedHeads.select(0, k));
        }
        return compute(heads, groundTruth, epsilon, volume);
    }

    /** Number of integer fields of a record (uncertainty.cu's IntFields.count). */
    static int intFields(int t, int c) {
        int pairs = t - 1;
        return 2 * pairs + 2 * pairs * c + 2 + 2 * c + 2 * BINS;
    }

    private static Counts counts(double[] r, int at, int t, int c, boolean truth) {
        boolean multi = c > 2;
        int pairs = t - 1;
        int base = at + REC_INT;
        long[] agreeInter = longs(r, base, pairs);
        long[] agreeSize = longs(r, base + pairs, pairs);
        int classBase = base + 2 * pairs;
        long[][] classInter = multi ? new long[pairs][] : null;
        long[][] classSize = multi ? new long[pairs][] : null;
        for (int k = 0; multi && k < pairs; k++) {
            classInter[k] = longs(r, classBase + k * c, c);
            classSize[k] = longs(r, classBase + pairs * c + k * c, c);
        }
        int dice = classBase + 2 * pairs * c;
        int classDice = dice + 2;
        int bins = classDice + 2 * c;
        return new Counts((long) r[at + REC_PIXELS], Arrays.copyOfRange(r, at + REC_SUM, at + REC_SUM + 3),
                Arrays.copyOfRange(r, at + REC_MIN, at + REC_MIN + 3), Arrays.copyOfRange(r, at + REC_MAX, at + REC_MAX + 3),
                Arrays.copyOfRange(r, at + REC_SHIFT, at + REC_SHIFT + 3), agreeInter, agreeSize, classInter, classSize,
                r[at + REC_NLL], (long) r[dice], (long) r[dice + 1],
                truth && multi ? longs(r, classDice, c) : null, truth && multi ? longs(r, classDice + c, c) : null,
                longs(r, bins, BINS), Arrays.copyOfRange(r, at + REC_BIN_CONF, at + REC_BIN_CONF + BINS),
                longs(r, bins + BINS, BINS), r[at + REC_BRIER]);
    }

    private static long[] longs(double[] r, int from, int count) {
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            out[i] = (long) r[from + i];
        }
        return out;
    }
}
