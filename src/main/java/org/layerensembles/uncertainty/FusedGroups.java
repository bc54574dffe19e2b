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
 * walks the pixels in groups of {@link #L} (one float vector); per group it reads the heads' class
 * planes at that position a few times (the group's 4·T·C·L bytes stay in the L1 cache), each pass
 * a short method of its own so that the JIT compiles every one with all its vectors in registers
 * (a method with too much vector code runs out of the JIT's node budget for inlining, and what
 * is not inlined gets its vectors boxed):
 * <ol>
 *   <li>{@link #planeLogs}: ln(p + ε) of every plane ({@link DeterministicLog});</li>
 *   <li>per class, {@link #classSums}: Σ_t p in double (two half vectors), heads in order, and
 *       each head's running argmax; {@link #finishClass}: p̄ = Σ / T in double, so p̄ and the
 *       label (argmax of p̄, first class wins) equal {@link Uncertainty}'s bit for bit;
 *       {@link #softPass}: Σ_t (p - p̄)² / T, the soft variance's term (float);</li>
 *   <li>{@link #meanPlaneLogs}, {@link #logTerms}: per head H_t = Σ_c p ln(p + ε) and
 *       Σ_c p̄ ln(p̄ + ε) by the same float operations in the same order, so MI = H(p̄) - mean_t H_t
 *       (summed in double) is exactly 0 when the heads are equal;</li>
 *   <li>{@link #hardVariance} (votes, in double, as the reference), {@link #entropyAndMi},
 *       {@link #writeMaps}, then the scores ({@link TaskSums}), the agreement counts and, with a
 *       ground truth, its statistics (scalar double, per pixel in order, as the reference).</li>
 * </ol>
 * Apart from the logarithm every operation is IEEE-exact, so results do not depend on the JIT tier
 * or the thread.
 *
 * <p>Loads and stores are never masked (masked memory access costs the JIT many nodes): a task's
 * last, partial group is moved back to end at the task's end, and only its lanes not yet counted
 * enter the sums (lane by lane, into the same partials); images smaller than one vector are
 * padded by the caller ({@code limit} then marks the real pixels).
 */
final class FusedGroups {
    static final VectorSpecies<Float> F = DeterministicLog.SPECIES;
    static final int L = F.length();
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class,
            VectorShape.forBitSize(F.vectorBitSize()));
    private static final int HL = D.length();
    private static final VectorSpecies<Float> FH = VectorSpecies.of(float.class,
            VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> IH = VectorSpecies.of(int.class,
            VectorShape.forBitSize(F.vectorBitSize() / 2));
    /** Rotates a float vector by half its lanes (upper half to lower half and back). */
    private static final VectorShuffle<Float> HALF_ROTATION = VectorShuffle.fromOp(F, i -> (i + HL) % L);
    private static final VectorMask<Float> UPPER = F.indexInRange(-HL, HL);
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
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

    // Scratch: state handed from one pass to the next, one group at a time.
    private final float[] logs;                     // [t * c * L] ln(p + eps) of every plane
    private final float[] meanLogsByClass;          // [c * L] ln(p̄ + eps)
    private final float[] best;                     // [t * L] each head's largest p so far
    private final float[] cur;                      // [t * L] its class (as a float)
    private final double[] sum = new double[L];     // Σ_t p of the current class
    private final float[] meanF;                    // [c * L] p̄ rounded to float
    private final double[] classMeans;              // [c * L] p̄ (with a ground truth)
    private final float[] meanLogs = new float[L];  // Σ_c p̄ ln(p̄ + eps)
    private final float[] headLogs;                 // [t * L] Σ_c p ln(p + eps) per head
    private final double[] soft = new double[L];
    private final double[] bestMean = new double[L];
    private final double[] label = new double[L];
    private final double[] values = new double[3 * L]; // entropy, MI, variance of the group

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
        logs = new float[t * c * L];
        meanLogsByClass = new float[c * L];
        best = new float[t * L];
        cur = new float[t * L];
        meanF = new float[c * L];
        headLogs = new float[t * L];
        classMeans = truth == null ? null : new double[c * L];
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
            planeLogs(xBytes);
            for (int cls = 0; cls < c; cls++) {
                classSums(xBytes, cls);
                finishClass(meanPlanes + (long) cls * stride + gx, cls);
                softPass(xBytes, cls);
            }
            meanPlaneLogs();
            logTerms(xBytes);
            hardVariance();
            entropyAndMi();
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
     * ln(p + ε) of every plane at the group (byte {@code xBytes} into the plane). The logarithm
     * gets a pass of its own, with nothing else in it: it is a large piece of vector code, and a
     * method holding more exceeds the JIT's node budget for inlining, after which vectors are boxed.
     */
    private void planeLogs(long xBytes) {
        FloatVector epsV = FloatVector.broadcast(F, eps);
        for (int j = 0; j < planeSeg.length; j++) {
            FloatVector p = FloatVector.fromMemorySegment(F, planeSeg[j], planeBytes[j] + xBytes, NATIVE);
            DeterministicLog.log(p.add(epsV)).intoArray(logs, j * L);
        }
    }

    /** ln(p̄ + ε) per class, p̄ rounded to float (a pass of its own, as {@link #planeLogs}). */
    private void meanPlaneLogs() {
        FloatVector epsV = FloatVector.broadcast(F, eps);
        for (int cls = 0; cls < c; cls++) {
            DeterministicLog.log(FloatVector.fromArray(F, meanF, cls * L).add(epsV)).intoArray(meanLogsByClass, cls * L);
        }
    }

    /**
     * Per head H_t = Σ_c p ln(p + ε), and Σ_c p̄ ln(p̄ + ε), in float by the same fused
     * multiply-adds in the same class order: equal heads give equal terms.
     */
    private void logTerms(long xBytes) {
        for (int k = 0; k < t; k++) {
            FloatVector h = FloatVector.zero(F);
            for (int cls = 0; cls < c; cls++) {
                int j = k * c + cls;
                FloatVector p = FloatVector.fromMemorySegment(F, planeSeg[j], planeBytes[j] + xBytes, NATIVE);
                h = p.fma(FloatVector.fromArray(F, logs, j * L), h);
            }
            h.intoArray(headLogs, k * L);
        }
        FloatVector h = FloatVector.zero(F);
        for (int cls = 0; cls < c; cls++) {
            h = FloatVector.fromArray(F, meanF, cls * L).fma(FloatVector.fromArray(F, meanLogsByClass, cls * L), h);
        }
        h.intoArray(meanLogs, 0);
    }

    /** Σ_t p of class {@code cls} (double, heads in order), and each head's running argmax. */
    private void classSums(long xBytes, int cls) {
        DoubleVector s0 = DoubleVector.zero(D);
        DoubleVector s1 = DoubleVector.zero(D);
        for (int k = 0; k < t; k++) {
            int j = k * c + cls;
            MemorySegment seg = planeSeg[j];
            long o = planeBytes[j] + xBytes;
            s0 = s0.add(FloatVector.fromMemorySegment(FH, seg, o, NATIVE).convertShape(VectorOperators.F2D, D, 0));
            s1 = s1.add(FloatVector.fromMemorySegment(FH, seg, o + (long) HL * Float.BYTES, NATIVE)
                    .convertShape(VectorOperators.F2D, D, 0));
            FloatVector p = FloatVector.fromMemorySegment(F, seg, o, NATIVE);
            int b = k * L;
            if (cls == 0) {
                p.intoArray(best, b);
                FloatVector.zero(F).intoArray(cur, b);
            } else {
                FloatVector was = FloatVector.fromArray(F, best, b);
                VectorMask<Float> above = p.compare(VectorOperators.GT, was);
                was.blend(p, above).intoArray(best, b);
                FloatVector.fromArray(F, cur, b).blend(cls, above).intoArray(cur, b);
            }
        }
        s0.intoArray(sum, 0);
        s1.intoArray(sum, HL);
    }

    /** p̄ of class {@code cls}, written at mean element {@code at}; the label updated. */
    private void finishClass(long at, int cls) {
        double tD = t;
        DoubleVector m0 = DoubleVector.fromArray(D, sum, 0).div(tD);
        DoubleVector m1 = DoubleVector.fromArray(D, sum, HL).div(tD);
        FloatVector mf = join(m0, m1);
        mf.intoMemorySegment(out.mean(), (out.meanBase() + at) * Float.BYTES, NATIVE);
        mf.intoArray(meanF, cls * L);
        if (classMeans != null) {
            m0.intoArray(classMeans, cls * L);
            m1.intoArray(classMeans, cls * L + HL);
        }
        if (cls == 0) {
            m0.intoArray(bestMean, 0);
            m1.intoArray(bestMean, HL);
            DoubleVector.zero(D).intoArray(label, 0);
            DoubleVector.zero(D).intoArray(label, HL);
        } else {
            argmaxStep(m0, cls, 0);
            argmaxStep(m1, cls, HL);
        }
    }

    /** Label and best p̄ of one half after class {@code cls} (the first class wins ties). */
    private void argmaxStep(DoubleVector m, int cls, int half) {
        DoubleVector was = DoubleVector.fromArray(D, bestMean, half);
        VectorMask<Double> above = m.compare(VectorOperators.GT, was);
        was.blend(m, above).intoArray(bestMean, half);
        DoubleVector.fromArray(D, label, half).blend(cls, above).intoArray(label, half);
    }

    /** Adds Σ_t (p - p̄)² / T of class {@code cls} to the soft variance. */
    private void softPass(long xBytes, int cls) {
        FloatVector mf = FloatVector.fromArray(F, meanF, cls * L);
        FloatVector ss = FloatVector.zero(F);
        for (int k = 0; k < t; k++) {
            int j = k * c + cls;
            FloatVector d = FloatVector.fromMemorySegment(F, planeSeg[j], planeBytes[j] + xBytes, NATIVE).sub(mf);
            ss = d.fma(d, ss);
        }
        double tD = t;
        DoubleVector s0 = lower(ss).div(tD);
        DoubleVector s1 = upper(ss).div(tD);
        if (cls == 0) {
            s0.intoArray(soft, 0);
            s1.intoArray(soft, HL);
        } else {
            DoubleVector.fromArray(D, soft, 0).add(s0).intoArray(soft, 0);
            DoubleVector.fromArray(D, soft, HL).add(s1).intoArray(soft, HL);
        }
    }

    /** Hard-label variance (1/C) Σ_c q(1 - q), q the fraction of heads voting c, in double. */
    private void hardVariance() {
        double tD = t;
        DoubleVector one = DoubleVector.broadcast(D, 1);
        DoubleVector var0 = DoubleVector.zero(D);
        DoubleVector var1 = DoubleVector.zero(D);
        for (int cls = 0; cls < c; cls++) {
            FloatVector votes = FloatVector.zero(F);
            for (int k = 0; k < t; k++) {
                votes = votes.add(1f, FloatVector.fromArray(F, cur, k * L).compare(VectorOperators.EQ, cls));
            }
            DoubleVector q0 = lower(votes).div(tD);
            DoubleVector q1 = upper(votes).div(tD);
            var0 = var0.add(q0.mul(one.sub(q0)));
            var1 = var1.add(q1.mul(one.sub(q1)));
        }
        var0.div(c).intoArray(values, 2 * L);
        var1.div(c).intoArray(values, 2 * L + HL);
    }

    /** Entropy H(p̄) and MI = H(p̄) - (1/T) Σ_t H(p_t) of the group (double, from the float terms). */
    private void entropyAndMi() {
        DoubleVector e0 = DoubleVector.zero(D);
        DoubleVector e1 = DoubleVector.zero(D);
        for (int k = 0; k < t; k++) {
            FloatVector h = FloatVector.fromArray(F, headLogs, k * L);
            e0 = e0.add(lower(h));
            e1 = e1.add(upper(h));
        }
        double tD = t;
        FloatVector hf = FloatVector.fromArray(F, meanLogs, 0).neg();
        DoubleVector h0 = lower(hf);
        DoubleVector h1 = upper(hf);
        h0.intoArray(values, 0);
        h1.intoArray(values, HL);
        h0.add(e0.div(tD)).intoArray(values, L);
        h1.add(e1.div(tD)).intoArray(values, L + HL);
    }

    /** Writes the group's labels, entropy, MI, hard-label and soft variance at map element {@code px}. */
    private void writeMaps(long px) {
        long bytes = px * Float.BYTES;
        writeMap(out.entropy(), out.entropyBase() * Float.BYTES + bytes, values, 0);
        writeMap(out.mi(), out.miBase() * Float.BYTES + bytes, values, L);
        writeMap(out.variance(), out.varianceBase() * Float.BYTES + bytes, values, 2 * L);
        writeMap(out.soft(), out.softBase() * Float.BYTES + bytes, soft, 0);
        long labelBytes = (out.labelBase() + px) * Integer.BYTES;
        DoubleVector.fromArray(D, label, 0).convertShape(VectorOperators.D2I, IH, 0)
                .intoMemorySegment(out.labels(), labelBytes, NATIVE);
        DoubleVector.fromArray(D, label, HL).convertShape(VectorOperators.D2I, IH, 0)
                .intoMemorySegment(out.labels(), labelBytes + (long) HL * Integer.BYTES, NATIVE);
    }

    /** Writes the L doubles at {@code from} as float32 at byte {@code at}. */
    private static void writeMap(MemorySegment seg, long at, double[] src, int from) {
        join(DoubleVector.fromArray(D, src, from), DoubleVector.fromArray(D, src, from + HL))
                .intoMemorySegment(seg, at, NATIVE);
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

    // ---- halves

    private static DoubleVector lower(FloatVector v) {
        return (DoubleVector) v.convertShape(VectorOperators.F2D, D, 0);
    }

    private static DoubleVector upper(FloatVector v) {
        return (DoubleVector) v.rearrange(HALF_ROTATION).convertShape(VectorOperators.F2D, D, 0);
    }

    /** The float vector whose lower half is lo and upper half hi (each rounded to float). */
    private static FloatVector join(DoubleVector lo, DoubleVector hi) {
        FloatVector a = (FloatVector) lo.convertShape(VectorOperators.D2F, F, 0);
        FloatVector b = (FloatVector) hi.convertShape(VectorOperators.D2F, F, 0);
        return a.blend(b.rearrange(HALF_ROTATION), UPPER);
    }
}
