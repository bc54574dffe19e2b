package org.layerensembles.uncertainty;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.cpu.DeterministicLog;

/**
 * The vector kernel of {@link FusedUncertainty} for one task (a run of pixels of one image). It
 * walks the pixels in blocks of {@link #L} (one float vector); per block it reads the heads' class
 * planes at that position in a few short passes (the block's 4·T·C·L bytes stay in the L1 cache
 * between them), each a method of its own that takes no vector argument and returns none, so that
 * the JIT compiles every one with all its vectors in registers whether or not it inlines it into
 * the block loop (a method with too much vector code runs out of the JIT's node budget for
 * inlining, and a vector crossing a call that is not inlined is boxed):
 * <ol>
 *   <li>{@link #classMean}, per class: Σ_t p in double (two half vectors, heads in order),
 *       p̄ = Σ / T in double, so p̄ and the label (argmax of p̄, first class wins ties, updated
 *       class by class) equal {@link Uncertainty}'s bit for bit;</li>
 *   <li>{@link #headLabels}: each head's argmax (first class wins), class by class in registers;</li>
 *   <li>{@link #headEntropies}: per head Σ_c p ln(p + ε) and {@link #meanEntropy}: Σ_c p̄ ln(p̄ + ε),
 *       by the same float operations in the same class order ({@link DeterministicLog}), so MI is
 *       exactly 0 when the heads are equal;</li>
 *   <li>{@link #softVariance}: Σ_c Σ_t (p - p̄)² / T in float;</li>
 *   <li>{@link #entropyMiAndVariance}: MI = H(p̄) + (1/T) Σ_t Σ_c p ln(p + ε) summed in double, the
 *       hard-label variance from the votes in double (as the reference), and the maps written;
 *       then the scores ({@link TaskSums}), the agreement counts and, with a ground truth, its
 *       statistics (scalar double, per pixel in order, as the reference).</li>
 * </ol>
 * Doubles and floats meet only through half vectors of the same lane count ({@link #FH} and
 * {@link #D}), whose conversions the JIT compiles to one instruction. Apart from the logarithm every
 * operation is IEEE-exact, so results do not depend on the JIT tier or the thread.
 *
 * <p>Loads and stores are never masked (masked memory access costs the JIT many nodes): a task's
 * last, partial block is moved back to end at the task's end, and only its lanes not yet counted
 * enter the sums (lane by lane, into the same partials); images smaller than one vector are
 * padded by the caller ({@code limit} then marks the real pixels).
 */
final class FusedGroups {
    static final VectorSpecies<Float> F = DeterministicLog.SPECIES;
    static final int L = F.length();
    /** Doubles of a float vector's lower (or upper) half. */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class,
            VectorShape.forBitSize(F.vectorBitSize()));
    private static final int HL = D.length();
    /** Half a float vector: the floats of one {@link #D} vector. */
    private static final VectorSpecies<Float> FH = VectorSpecies.of(float.class,
            VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> IH = VectorSpecies.of(int.class,
            VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final long HALF_BYTES = (long) HL * Float.BYTES;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    private static final int POSITIONS = TaskSums.POSITIONS;

    private final int t;
    private final int c;
    /** Elements between two class planes (pixels per image, padding included). */
    private final int stride;
    /** Pixels per image that count (the rest is padding). */
    private final int limit;
    private final float eps;
    private final double epsD;
    private final MemorySegment[] heads;
    /** Byte offset of each head's element (0, 0, 0). */
    private final long[] headBytes;
    // The T·C planes of the current image, plane j = k·C + c: its memory and its pixel 0's byte offset.
    private final MemorySegment[] planeSeg;
    private final long[] planeBytes;
    private final Outputs out;
    private final MemorySegment truth;
    private final long truthBase;

    // Scratch: state handed from one pass to the next, one block at a time.
    private final float[] block;                    // [t * c * L] the planes at the block
    private final double[] soft = new double[L];    // soft variance
    private final double[] classMeans;              // [c * L] p̄
    private final float[] meanF;                    // [c * L] p̄ rounded to float
    private final double[] bestMean = new double[L];
    private final double[] label = new double[L];  // argmax of p̄
    private final float[] cur;                      // [t * L] each head's argmax (as a float)
    private final float[] headLogs;                 // [t * L] Σ_c p ln(p + eps) per head
    private final float[] meanLogs = new float[L];  // Σ_c p̄ ln(p̄ + eps)
    private final double[] values = new double[3 * L]; // entropy, MI, variance of the block

    /** The output maps, laid out [N, C, stride] (mean) and [N, stride] (the others). */
    record Outputs(MemorySegment mean, long meanBase, MemorySegment labels, long labelBase,
                   MemorySegment entropy, long entropyBase, MemorySegment mi, long miBase,
                   MemorySegment variance, long varianceBase, MemorySegment soft, long softBase) {
    }

    /**
     * @param heads  contiguous float32 [N, C, stride] (any 4-D shape with that layout) per head
     * @param truth  contiguous int32 [N, stride], or null
     * @param stride pixels per plane, at least {@link #L}
     * @param limit  pixels per image that count, at most stride
     */
    FusedGroups(List<NDArray> heads, NDArray truth, int c, int stride, int limit, double eps, Outputs out) {
        t = heads.size();
        this.c = c;
        this.stride = stride;
        this.limit = limit;
        this.eps = (float) eps;
        epsD = eps;
        this.heads = new MemorySegment[t];
        headBytes = new long[t];
        for (int k = 0; k < t; k++) {
            this.heads[k] = heads.get(k).segment();
            headBytes[k] = heads.get(k).offset() * Float.BYTES;
        }
        this.out = out;
        this.truth = truth == null ? null : truth.segment();
        truthBase = truth == null ? 0 : truth.offset();
        planeSeg = new MemorySegment[t * c];
        planeBytes = new long[t * c];
        block = new float[t * c * L];
        classMeans = new double[c * L];
        meanF = new float[c * L];
        cur = new float[t * L];
        headLogs = new float[t * L];
    }

    /** Pixels [first, end) of image {@code img}, end - first >= L, added into {@code sums}. */
    void run(int img, int first, int end, TaskSums sums) {
        for (int k = 0; k < t; k++) {
            for (int cls = 0; cls < c; cls++) {
                planeSeg[k * c + cls] = heads[k];
                planeBytes[k * c + cls] = headBytes[k] + ((long) img * c + cls) * stride * Float.BYTES;
            }
        }
        long meanPlanes = (long) img * c * stride;
        long maps = (long) img * stride;
        for (int x = first; x < end; x += L) {
            int gx = Math.min(x, end - L);
            int lo = x - gx;
            int hi = Math.min(L, limit - gx);
            long xBytes = (long) gx * Float.BYTES;
            headPass(xBytes);
            for (int cls = 0; cls < c; cls++) {
                classMean(meanPlanes + (long) cls * stride + gx, cls);
            }
            meanEntropy();
            writeMaps(maps + gx);
            if (lo == 0 && hi == L) {
                addScores(gx - first, sums);
            } else {
                addScoresOfLanes(gx - first, lo, hi, sums);
            }
            agreement(lo, hi, sums);
            if (truth != null) {
                truthStatistics(maps + gx, lo, hi, sums);
            }
        }
    }

    /**
     * p̄ of class {@code cls} (Σ_t p in double, heads in order, divided by T), written at mean
     * element {@code at}; the label (argmax of p̄ so far, the first class winning ties) updated.
     */
    private void classMean(long at, int cls) {
        double tD = t;
        DoubleVector s0 = DoubleVector.zero(D);
        DoubleVector s1 = DoubleVector.zero(D);
        DoubleVector q0 = DoubleVector.zero(D);
        DoubleVector q1 = DoubleVector.zero(D);
        for (int j = cls * L; j < block.length; j += c * L) {
            DoubleVector p0 = (DoubleVector) FloatVector.fromArray(FH, block, j).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector p1 = (DoubleVector) FloatVector.fromArray(FH, block, j + HL)
                    .convertShape(VectorOperators.F2D, D, 0);
            s0 = s0.add(p0);
            s1 = s1.add(p1);
            q0 = p0.fma(p0, q0);
            q1 = p1.fma(p1, q1);
        }
        DoubleVector m0 = s0.div(tD);
        DoubleVector m1 = s1.div(tD);
        // Σ_t (p - p̄)² / T = Σ_t p² / T - p̄²: the squares of floats and their sums are exact in
        // double (48 + 4 bits), so equal heads give exactly 0 and the rest is far below float's ulp.
        DoubleVector v0 = q0.div(tD).sub(m0.mul(m0));
        DoubleVector v1 = q1.div(tD).sub(m1.mul(m1));
        if (cls > 0) {
            v0 = v0.add(DoubleVector.fromArray(D, soft, 0));
            v1 = v1.add(DoubleVector.fromArray(D, soft, HL));
        }
        v0.intoArray(soft, 0);
        v1.intoArray(soft, HL);
        int b = cls * L;
        m0.intoArray(classMeans, b);
        m1.intoArray(classMeans, b + HL);
        FloatVector f0 = (FloatVector) m0.convertShape(VectorOperators.D2F, FH, 0);
        FloatVector f1 = (FloatVector) m1.convertShape(VectorOperators.D2F, FH, 0);
        f0.intoArray(meanF, b);
        f1.intoArray(meanF, b + HL);
        long bytes = (out.meanBase() + at) * Float.BYTES;
        f0.intoMemorySegment(out.mean(), bytes, NATIVE);
        f1.intoMemorySegment(out.mean(), bytes + HALF_BYTES, NATIVE);
        DoubleVector w0 = cls == 0 ? m0 : DoubleVector.fromArray(D, bestMean, 0);
        DoubleVector w1 = cls == 0 ? m1 : DoubleVector.fromArray(D, bestMean, HL);
        VectorMask<Double> a0 = m0.compare(VectorOperators.GT, w0);
        VectorMask<Double> a1 = m1.compare(VectorOperators.GT, w1);
        w0.blend(m0, a0).intoArray(bestMean, 0);
        w1.blend(m1, a1).intoArray(bestMean, HL);
        DoubleVector l0 = cls == 0 ? DoubleVector.zero(D) : DoubleVector.fromArray(D, label, 0);
        DoubleVector l1 = cls == 0 ? DoubleVector.zero(D) : DoubleVector.fromArray(D, label, HL);
        l0.blend(cls, a0).intoArray(label, 0);
        l1.blend(cls, a1).intoArray(label, HL);
    }

    /**
     * Reads each head's class planes at the block once (into {@link #block}, for {@link #classMean}):
     * per head Σ_c p ln(p + ε) in float (fused multiply-adds, classes in order) and the head's
     * argmax (the first class wins ties, as a float).
     */
    private void headPass(long xBytes) {
        FloatVector epsV = FloatVector.broadcast(F, eps);
        for (int k = 0; k < t; k++) {
            FloatVector h = FloatVector.zero(F);
            FloatVector best = FloatVector.zero(F);
            FloatVector which = FloatVector.zero(F);
            for (int cls = 0; cls < c; cls++) {
                int j = k * c + cls;
                FloatVector p = FloatVector.fromMemorySegment(F, planeSeg[j], planeBytes[j] + xBytes, NATIVE);
                p.intoArray(block, j * L);
                h = p.fma(DeterministicLog.log(p.add(epsV)), h);
                if (cls == 0) {
                    best = p;
                } else {
                    VectorMask<Float> above = p.compare(VectorOperators.GT, best);
                    best = best.blend(p, above);
                    which = which.blend(cls, above);
                }
            }
            h.intoArray(headLogs, k * L);
            which.intoArray(cur, k * L);
        }
    }

    /** Σ_c p̄ ln(p̄ + ε), p̄ rounded to float, by the operations of {@link #headEntropies}. */
    private void meanEntropy() {
        FloatVector epsV = FloatVector.broadcast(F, eps);
        FloatVector h = FloatVector.zero(F);
        for (int cls = 0; cls < c; cls++) {
            FloatVector m = FloatVector.fromArray(F, meanF, cls * L);
            h = m.fma(DeterministicLog.log(m.add(epsV)), h);
        }
        h.intoArray(meanLogs, 0);
    }

    /**
     * Entropy H = -Σ_c p̄ ln(p̄ + ε), MI = H + (1/T) Σ_t Σ_c p ln(p + ε) (heads summed in double)
     * and the hard-label variance (1/C) Σ_c q(1 - q), q the fraction of heads voting c (double, as
     * the reference), into {@link #values}; these maps, the soft variance and the labels written at
     * map element px.
     */
    private void writeMaps(long px) {
        double tD = t;
        FloatVector.fromArray(F, meanLogs, 0).neg()
                .intoMemorySegment(out.entropy(), (out.entropyBase() + px) * Float.BYTES, NATIVE);
        long miBytes = (out.miBase() + px) * Float.BYTES;
        long varBytes = (out.varianceBase() + px) * Float.BYTES;
        long softBytes = (out.softBase() + px) * Float.BYTES;
        long labelBytes = (out.labelBase() + px) * Integer.BYTES;
        DoubleVector one = DoubleVector.broadcast(D, 1);
        for (int half = 0; half < L; half += HL) {
            DoubleVector h = ((DoubleVector) FloatVector.fromArray(FH, meanLogs, half)
                    .convertShape(VectorOperators.F2D, D, 0)).neg();
            DoubleVector e = DoubleVector.zero(D);
            for (int k = 0; k < t; k++) {
                e = e.add(FloatVector.fromArray(FH, headLogs, k * L + half).convertShape(VectorOperators.F2D, D, 0));
            }
            DoubleVector mi = h.add(e.div(tD));
            DoubleVector var = DoubleVector.zero(D);
            for (int cls = 0; cls < c; cls++) {
                FloatVector n = FloatVector.zero(FH);
                for (int k = 0; k < t; k++) {
                    n = n.add(1f, FloatVector.fromArray(FH, cur, k * L + half).compare(VectorOperators.EQ, cls));
                }
                DoubleVector q = ((DoubleVector) n.convertShape(VectorOperators.F2D, D, 0)).div(tD);
                var = var.add(q.mul(one.sub(q)));
            }
            var = var.div(c);
            h.intoArray(values, half);
            mi.intoArray(values, L + half);
            var.intoArray(values, 2 * L + half);
            long off = (long) half * Float.BYTES;
            mi.convertShape(VectorOperators.D2F, FH, 0).intoMemorySegment(out.mi(), miBytes + off, NATIVE);
            var.convertShape(VectorOperators.D2F, FH, 0).intoMemorySegment(out.variance(), varBytes + off, NATIVE);
            DoubleVector.fromArray(D, soft, half).convertShape(VectorOperators.D2F, FH, 0)
                    .intoMemorySegment(out.soft(), softBytes + off, NATIVE);
            DoubleVector.fromArray(D, label, half).convertShape(VectorOperators.D2I, IH, 0)
                    .intoMemorySegment(out.labels(), labelBytes + (long) half * Integer.BYTES, NATIVE);
        }
    }

    /** Adds a whole aligned group, {@code offset} pixels into the task, to the score partials. */
    private void addScores(int offset, TaskSums sums) {
        int position = offset % POSITIONS;
        boolean firstVisit = offset < POSITIONS;
        for (int m = 0; m < 3; m++) {
            for (int half = 0; half < L; half += HL) {
                DoubleVector v = DoubleVector.fromArray(D, values, m * L + half);
                int p = position + half;
                if (firstVisit) {
                    v.intoArray(sums.shift[m], p);
                }
                DoubleVector s = DoubleVector.fromArray(D, sums.shift[m], p);
                DoubleVector.fromArray(D, sums.shifted[m], p).add(v.sub(s)).intoArray(sums.shifted[m], p);
                DoubleVector.fromArray(D, sums.min[m], p).min(v).intoArray(sums.min[m], p);
                DoubleVector.fromArray(D, sums.max[m], p).max(v).intoArray(sums.max[m], p);
            }
        }
    }

    /** As {@link #addScores}, lane by lane, for the lanes [lo, hi) of a moved or padded group. */
    private void addScoresOfLanes(int offset, int lo, int hi, TaskSums sums) {
        for (int m = 0; m < 3; m++) {
            for (int j = lo; j < hi; j++) {
                double v = values[m * L + j];
                int p = (offset + j) % POSITIONS;
                if (offset + j < POSITIONS) {
                    sums.shift[m][p] = v;
                }
                sums.shifted[m][p] += v - sums.shift[m][p];
                sums.min[m][p] = Math.min(sums.min[m][p], v);
                sums.max[m][p] = Math.max(sums.max[m][p], v);
            }
        }
    }

    /** Adjacent heads' foreground (and, multi-class, per-class) intersections and sizes, lanes [lo, hi). */
    private void agreement(int lo, int hi, TaskSums sums) {
        VectorMask<Float> m = F.indexInRange(-lo, hi - lo);
        VectorMask<Float> prev = FloatVector.fromArray(F, cur, 0).compare(VectorOperators.GT, 0).and(m);
        for (int k = 1; k < t; k++) {
            VectorMask<Float> fg = FloatVector.fromArray(F, cur, k * L).compare(VectorOperators.GT, 0).and(m);
            sums.agreeInter[k - 1] += prev.and(fg).trueCount();
            sums.agreeSize[k - 1] += prev.trueCount() + fg.trueCount();
            prev = fg;
        }
        if (sums.classInter == null) {
            return;
        }
        for (int k = 1; k < t; k++) {
            FloatVector a = FloatVector.fromArray(F, cur, (k - 1) * L);
            FloatVector b = FloatVector.fromArray(F, cur, k * L);
            for (int cls = 0; cls < c; cls++) {
                VectorMask<Float> inA = a.compare(VectorOperators.EQ, cls).and(m);
                VectorMask<Float> inB = b.compare(VectorOperators.EQ, cls).and(m);
                sums.classInter[(k - 1) * c + cls] += inA.and(inB).trueCount();
                sums.classSize[(k - 1) * c + cls] += inA.trueCount() + inB.trueCount();
            }
        }
    }

    /** NLL, DSC counts, calibration bins and Brier terms of lanes [lo, hi), in pixel order, as the reference. */
    private void truthStatistics(long px, int lo, int hi, TaskSums sums) {
        boolean multi = sums.classDiceInter != null;
        for (int i = lo; i < hi; i++) {
            int g = truth.getAtIndex(I32, truthBase + px + i);
            if (g < 0 || g >= c) {
                throw Inputs.badLabel(g, c, px + i);
            }
            int predicted = (int) label[i];
            sums.nll -= Math.log(classMeans[g * L + i] + epsD);
            boolean fgPred = predicted > 0;
            boolean fgTrue = g > 0;
            if (fgPred && fgTrue) {
                sums.diceInter++;
            }
            sums.diceSize += (fgPred ? 1 : 0) + (fgTrue ? 1 : 0);
            if (multi) {
                if (predicted == g) {
                    sums.classDiceInter[g]++;
                }
                sums.classDiceSize[predicted]++;
                sums.classDiceSize[g]++;
            }
            double confidence = classMeans[predicted * L + i];
            int bin = CalibrationBins.bin(confidence);
            sums.binCount[bin]++;
            sums.binConf[bin] += confidence;
            sums.binAcc[bin] += predicted == g ? 1 : 0;
            double brier = 0;
            for (int cls = 0; cls < c; cls++) {
                double diff = classMeans[cls * L + i] - (cls == g ? 1 : 0);
                brier += diff * diff;
            }
            sums.brier += brier;
        }
    }
}
