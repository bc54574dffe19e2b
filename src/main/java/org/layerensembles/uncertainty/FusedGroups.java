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
 * walks the pixels in blocks of {@link #L} (one float vector), {@link #STRIP} blocks at a time; each
 * pass below runs over the whole strip before the next starts (the strip's 4·T·C·L·STRIP bytes of
 * probabilities stay in the L1 cache), so every pass is a loop over blocks that the JIT can pipeline
 * with its constants in registers. Each pass is a method of its own that takes no vector argument
 * and returns none, so that the JIT compiles every one with all its vectors in registers whether or
 * not it inlines it (a method with too much vector code runs out of the JIT's node budget for
 * inlining, and a vector crossing a call that is not inlined is boxed):
 * <ol>
 *   <li>{@link #headPass}: reads every plane once (a copy goes to {@link #block}), per head
 *       Σ_c p ln(p + ε) in float (classes in order, {@link DeterministicLog});</li>
 *   <li>{@link #headLabels}: each head's argmax (first class wins ties) and the votes per class;</li>
 *   <li>{@link #classMean}, per class: Σ_t p in double (two half vectors, heads in order),
 *       p̄ = Σ / T in double, so p̄ and the label (argmax of p̄, first class wins ties) equal
 *       {@link Uncertainty}'s bit for bit; and the class's soft variance term Σ_t p² / T - p̄²;</li>
 *   <li>{@link #meanEntropy}: Σ_c p̄ ln(p̄ + ε) by the operations of {@link #headPass}, so MI is
 *       exactly 0 when the heads are equal;</li>
 *   <li>{@link #writeMaps}: MI = H(p̄) + (1/T) Σ_t Σ_c p ln(p + ε) summed in double, the hard-label
 *       variance from the votes in double (as the reference), the maps written;</li>
 *   <li>per block, the scores ({@link TaskSums}), the agreement counts and, with a ground truth,
 *       its statistics (scalar double, per pixel in order, as the reference).</li>
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
    /** Blocks per strip. */
    static final int STRIP = 8;
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
    /** Whether the score partials track their min and max (only the normalised scores need them). */
    private final boolean range;
    private final MemorySegment[] heads;
    /** Byte offset of each head's element (0, 0, 0). */
    private final long[] headBytes;
    // The T·C planes of the current image, plane j = k·C + c: its memory and its pixel 0's byte offset.
    private final MemorySegment[] planeSeg;
    private final long[] planeBytes;
    private final Outputs out;
    private final MemorySegment truth;
    private final long truthBase;

    // Scratch: state handed from one pass to the next, for the blocks b of a strip. Per-plane (or
    // per-head, per-class) arrays hold block b of plane j at element (j·STRIP + b)·L.
    private final int[] at = new int[STRIP];                // pixel of block b in the image
    private final float[] block;                            // [t·c] planes: p
    private final float[] headLogs;                         // [t] Σ_c p ln(p + eps)
    private final float[] cur;                              // [t] each head's argmax (as a float)
    private final float[] votes;                            // [c] heads voting c (c ≥ 1)
    private final double[] classMeans;                      // [c] p̄
    private final float[] meanF;                            // [c] p̄ rounded to float
    private final double[] bestMean = new double[STRIP * L];
    private final double[] label = new double[STRIP * L];   // argmax of p̄
    private final double[] soft = new double[STRIP * L];    // soft variance
    private final float[] meanLogs = new float[STRIP * L];  // Σ_c p̄ ln(p̄ + eps)
    private final double[] values = new double[STRIP * 3 * L]; // entropy, MI, variance of block b at 3·L·b

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
     * @param range  whether to track the score maps' min and max (for normalised scores)
     */
    FusedGroups(List<NDArray> heads, NDArray truth, int c, int stride, int limit, double eps, boolean range,
                Outputs out) {
        t = heads.size();
        this.c = c;
        this.stride = stride;
        this.limit = limit;
        this.eps = (float) eps;
        epsD = eps;
        this.range = range;
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
        block = new float[t * c * STRIP * L];
        headLogs = new float[t * STRIP * L];
        cur = new float[t * STRIP * L];
        votes = new float[c * STRIP * L];
        classMeans = new double[c * STRIP * L];
        meanF = new float[c * STRIP * L];
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
        for (int x0 = first; x0 < end; x0 += STRIP * L) {
            int n = Math.min(STRIP, (end - x0 + L - 1) / L);
            for (int b = 0; b < n; b++) {
                at[b] = Math.min(x0 + b * L, end - L);
            }
            headPass(n);
            headLabels(n);
            for (int cls = 0; cls < c; cls++) {
                classMean(n, meanPlanes + (long) cls * stride, cls);
            }
            meanEntropy(n);
            writeMaps(n, maps);
            for (int b = 0; b < n; b++) {
                int gx = at[b];
                int lo = x0 + b * L - gx;
                int hi = Math.min(L, limit - gx);
                if (lo == 0 && hi == L) {
                    addScores(b, gx - first, sums);
                } else {
                    addScoresOfLanes(b, gx - first, lo, hi, sums);
                }
                agreement(b, lo, hi, sums);
                if (truth != null) {
                    truthStatistics(b, maps + gx, lo, hi, sums);
                }
            }
        }
    }

    /**
     * Reads every plane at the strip's n blocks once, copying it to {@link #block}, and per head
     * Σ_c p ln(p + ε) in float (classes in order: p ln(p + ε) then fused multiply-adds). The
     * logarithm is a large piece of vector code: this pass holds nothing else, to stay within the
     * JIT's budget.
     */
    private void headPass(int n) {
        FloatVector epsV = FloatVector.broadcast(F, eps);
        for (int j = 0; j < planeSeg.length; j++) {
            MemorySegment seg = planeSeg[j];
            long base = planeBytes[j];
            int cls = j % c;
            int into = j * STRIP * L;
            int sum = (j / c) * STRIP * L;
            for (int b = 0; b < n; b++) {
                FloatVector p = FloatVector.fromMemorySegment(F, seg, base + (long) at[b] * Float.BYTES, NATIVE);
                p.intoArray(block, into + b * L);
                FloatVector h = cls == 0 ? FloatVector.zero(F) : FloatVector.fromArray(F, headLogs, sum + b * L);
                p.fma(DeterministicLog.log(p.add(epsV)), h).intoArray(headLogs, sum + b * L);
            }
        }
    }

    /**
     * Each head's argmax over the classes (the first class wins ties), as a float, and per class
     * c ≥ 1 the number of heads voting c.
     */
    private void headLabels(int n) {
        for (int k = 0; k < t; k++) {
            int first = k * c * STRIP * L;
            for (int b = 0; b < n; b++) {
                FloatVector best = FloatVector.fromArray(F, block, first + b * L);
                FloatVector which = FloatVector.zero(F);
                for (int cls = 1; cls < c; cls++) {
                    FloatVector p = FloatVector.fromArray(F, block, first + (cls * STRIP + b) * L);
                    VectorMask<Float> above = p.compare(VectorOperators.GT, best);
                    best = best.blend(p, above);
                    which = which.blend(cls, above);
                }
                which.intoArray(cur, (k * STRIP + b) * L);
                for (int cls = 1; cls < c; cls++) {
                    int v = (cls * STRIP + b) * L;
                    FloatVector before = k == 0 ? FloatVector.zero(F) : FloatVector.fromArray(F, votes, v);
                    before.add(1f, which.compare(VectorOperators.EQ, cls)).intoArray(votes, v);
                }
            }
        }
    }

    /**
     * p̄ of class {@code cls} (Σ_t p in double, heads in order, divided by T), written to the mean
     * plane starting at element {@code plane}; the label (argmax of p̄ so far, the first class
     * winning ties) and the soft variance updated.
     */
    private void classMean(int n, long plane, int cls) {
        double tD = t;
        int headStep = c * STRIP * L;
        for (int b = 0; b < n; b++) {
            DoubleVector s0 = DoubleVector.zero(D);
            DoubleVector s1 = DoubleVector.zero(D);
            DoubleVector q0 = DoubleVector.zero(D);
            DoubleVector q1 = DoubleVector.zero(D);
            for (int j = (cls * STRIP + b) * L; j < block.length; j += headStep) {
                DoubleVector p0 = (DoubleVector) FloatVector.fromArray(FH, block, j)
                        .convertShape(VectorOperators.F2D, D, 0);
                DoubleVector p1 = (DoubleVector) FloatVector.fromArray(FH, block, j + HL)
                        .convertShape(VectorOperators.F2D, D, 0);
                s0 = s0.add(p0);
                s1 = s1.add(p1);
                q0 = p0.fma(p0, q0);
                q1 = p1.fma(p1, q1);
            }
            DoubleVector m0 = s0.div(tD);
            DoubleVector m1 = s1.div(tD);
            int i = (cls * STRIP + b) * L;
            m0.intoArray(classMeans, i);
            m1.intoArray(classMeans, i + HL);
            FloatVector f0 = (FloatVector) m0.convertShape(VectorOperators.D2F, FH, 0);
            FloatVector f1 = (FloatVector) m1.convertShape(VectorOperators.D2F, FH, 0);
            f0.intoArray(meanF, i);
            f1.intoArray(meanF, i + HL);
            long bytes = (out.meanBase() + plane + at[b]) * Float.BYTES;
            f0.intoMemorySegment(out.mean(), bytes, NATIVE);
            f1.intoMemorySegment(out.mean(), bytes + HALF_BYTES, NATIVE);
            // Σ_t (p - p̄)² / T = Σ_t p² / T - p̄²: the squares of floats and their sums are exact in
            // double (48 + 4 bits), so equal heads give exactly 0 and the rounding (about 1e-16) is far
            // below float's; clamped at 0, which a rounding could cross when the heads nearly agree.
            DoubleVector v0 = q0.div(tD).sub(m0.mul(m0)).max(0);
            DoubleVector v1 = q1.div(tD).sub(m1.mul(m1)).max(0);
            int o = b * L;
            DoubleVector w0 = m0;
            DoubleVector w1 = m1;
            DoubleVector l0 = DoubleVector.zero(D);
            DoubleVector l1 = DoubleVector.zero(D);
            if (cls > 0) {
                v0 = v0.add(DoubleVector.fromArray(D, soft, o));
                v1 = v1.add(DoubleVector.fromArray(D, soft, o + HL));
                w0 = DoubleVector.fromArray(D, bestMean, o);
                w1 = DoubleVector.fromArray(D, bestMean, o + HL);
                l0 = DoubleVector.fromArray(D, label, o);
                l1 = DoubleVector.fromArray(D, label, o + HL);
            }
            v0.intoArray(soft, o);
            v1.intoArray(soft, o + HL);
            VectorMask<Double> a0 = m0.compare(VectorOperators.GT, w0);
            VectorMask<Double> a1 = m1.compare(VectorOperators.GT, w1);
            w0.blend(m0, a0).intoArray(bestMean, o);
            w1.blend(m1, a1).intoArray(bestMean, o + HL);
            l0.blend(cls, a0).intoArray(label, o);
            l1.blend(cls, a1).intoArray(label, o + HL);
        }
    }

    /** Σ_c p̄ ln(p̄ + ε), p̄ rounded to float, by the operations of {@link #headPass}. */
    private void meanEntropy(int n) {
        FloatVector epsV = FloatVector.broadcast(F, eps);
        for (int i = 0; i < n * L; i += L) {
            FloatVector h = FloatVector.zero(F);
            for (int j = i; j < meanF.length; j += STRIP * L) {
                FloatVector m = FloatVector.fromArray(F, meanF, j);
                h = m.fma(DeterministicLog.log(m.add(epsV)), h);
            }
            h.intoArray(meanLogs, i);
        }
    }

    /**
     * Per block: entropy H = -Σ_c p̄ ln(p̄ + ε), MI = H + (1/T) Σ_t Σ_c p ln(p + ε) (heads summed
     * in double) and the hard-label variance (1/C) Σ_c q(1 - q), q the fraction of heads voting c
     * (double, as the reference), into {@link #values}; these maps, the soft variance and the
     * labels written into the image's maps, which start at element {@code maps}.
     */
    private void writeMaps(int n, long maps) {
        double tD = t;
        DoubleVector one = DoubleVector.broadcast(D, 1);
        for (int b = 0; b < n; b++) {
            long px = maps + at[b];
            FloatVector.fromArray(F, meanLogs, b * L).neg()
                    .intoMemorySegment(out.entropy(), (out.entropyBase() + px) * Float.BYTES, NATIVE);
            for (int half = 0; half < L; half += HL) {
                int i = b * L + half;
                DoubleVector h = ((DoubleVector) FloatVector.fromArray(FH, meanLogs, i)
                        .convertShape(VectorOperators.F2D, D, 0)).neg();
                DoubleVector e = DoubleVector.zero(D);
                DoubleVector var = DoubleVector.zero(D);
                for (int k = i; k < cur.length; k += STRIP * L) {
                    e = e.add(FloatVector.fromArray(FH, headLogs, k).convertShape(VectorOperators.F2D, D, 0));
                }
                // class 0's votes are the heads left; the terms are added in class order
                DoubleVector votes0 = DoubleVector.broadcast(D, tD);
                for (int v = STRIP * L + i; v < votes.length; v += STRIP * L) {
                    votes0 = votes0.sub(FloatVector.fromArray(FH, votes, v).convertShape(VectorOperators.F2D, D, 0));
                }
                DoubleVector q0 = votes0.div(tD);
                var = var.add(q0.mul(one.sub(q0)));
                for (int v = STRIP * L + i; v < votes.length; v += STRIP * L) {
                    DoubleVector q = ((DoubleVector) FloatVector.fromArray(FH, votes, v)
                            .convertShape(VectorOperators.F2D, D, 0)).div(tD);
                    var = var.add(q.mul(one.sub(q)));
                }
                DoubleVector mi = h.add(e.div(tD));
                var = var.div(c);
                int v = 3 * b * L + half;
                h.intoArray(values, v);
                mi.intoArray(values, v + L);
                var.intoArray(values, v + 2 * L);
                long off = (px + half) * Float.BYTES;
                mi.convertShape(VectorOperators.D2F, FH, 0).intoMemorySegment(out.mi(), out.miBase() * Float.BYTES + off,
                        NATIVE);
                var.convertShape(VectorOperators.D2F, FH, 0).intoMemorySegment(out.variance(),
                        out.varianceBase() * Float.BYTES + off, NATIVE);
                DoubleVector.fromArray(D, soft, i).convertShape(VectorOperators.D2F, FH, 0)
                        .intoMemorySegment(out.soft(), out.softBase() * Float.BYTES + off, NATIVE);
                DoubleVector.fromArray(D, label, i).convertShape(VectorOperators.D2I, IH, 0)
                        .intoMemorySegment(out.labels(), (out.labelBase() + px + half) * Integer.BYTES, NATIVE);
            }
        }
    }

    /** Adds strip block b, a whole aligned block {@code offset} pixels into the task, to the score partials. */
    private void addScores(int b, int offset, TaskSums sums) {
        int position = offset % POSITIONS;
        boolean firstVisit = offset < POSITIONS;
        for (int m = 0; m < 3; m++) {
            for (int half = 0; half < L; half += HL) {
                DoubleVector v = DoubleVector.fromArray(D, values, (3 * b + m) * L + half);
                int p = position + half;
                if (firstVisit) {
                    v.intoArray(sums.shift[m], p);
                }
                DoubleVector s = DoubleVector.fromArray(D, sums.shift[m], p);
                DoubleVector.fromArray(D, sums.shifted[m], p).add(v.sub(s)).intoArray(sums.shifted[m], p);
                if (range) {
                    DoubleVector.fromArray(D, sums.min[m], p).min(v).intoArray(sums.min[m], p);
                    DoubleVector.fromArray(D, sums.max[m], p).max(v).intoArray(sums.max[m], p);
                }
            }
        }
    }

    /** As {@link #addScores}, lane by lane, for the lanes [lo, hi) of a moved or padded block. */
    private void addScoresOfLanes(int b, int offset, int lo, int hi, TaskSums sums) {
        for (int m = 0; m < 3; m++) {
            for (int j = lo; j < hi; j++) {
                double v = values[(3 * b + m) * L + j];
                int p = (offset + j) % POSITIONS;
                if (offset + j < POSITIONS) {
                    sums.shift[m][p] = v;
                }
                sums.shifted[m][p] += v - sums.shift[m][p];
                if (range) {
                    sums.min[m][p] = Math.min(sums.min[m][p], v);
                    sums.max[m][p] = Math.max(sums.max[m][p], v);
                }
            }
        }
    }

    /** Adjacent heads' foreground (and, multi-class, per-class) intersections and sizes, block b's lanes [lo, hi). */
    private void agreement(int b, int lo, int hi, TaskSums sums) {
        VectorMask<Float> m = F.indexInRange(-lo, hi - lo);
        int step = STRIP * L;
        VectorMask<Float> prev = FloatVector.fromArray(F, cur, b * L).compare(VectorOperators.GT, 0).and(m);
        for (int k = 1; k < t; k++) {
            VectorMask<Float> fg = FloatVector.fromArray(F, cur, k * step + b * L).compare(VectorOperators.GT, 0).and(m);
            sums.agreeInter[k - 1] += prev.and(fg).trueCount();
            sums.agreeSize[k - 1] += prev.trueCount() + fg.trueCount();
            prev = fg;
        }
        if (sums.classInter == null) {
            return;
        }
        for (int k = 1; k < t; k++) {
            FloatVector x = FloatVector.fromArray(F, cur, (k - 1) * step + b * L);
            FloatVector y = FloatVector.fromArray(F, cur, k * step + b * L);
            for (int cls = 0; cls < c; cls++) {
                VectorMask<Float> inA = x.compare(VectorOperators.EQ, cls).and(m);
                VectorMask<Float> inB = y.compare(VectorOperators.EQ, cls).and(m);
                sums.classInter[(k - 1) * c + cls] += inA.and(inB).trueCount();
                sums.classSize[(k - 1) * c + cls] += inA.trueCount() + inB.trueCount();
            }
        }
    }

    /**
     * NLL, DSC counts, calibration bins and Brier terms of strip block b's lanes [lo, hi) (map
     * element px), in pixel order, as the reference.
     */
    private void truthStatistics(int b, long px, int lo, int hi, TaskSums sums) {
        boolean multi = sums.classDiceInter != null;
        for (int i = lo; i < hi; i++) {
            int g = truth.getAtIndex(I32, truthBase + px + i);
            if (g < 0 || g >= c) {
                throw Inputs.badLabel(g, c, px + i);
            }
            int predicted = (int) label[b * L + i];
            sums.nll -= Math.log(classMeans[(g * STRIP + b) * L + i] + epsD);
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
            double confidence = classMeans[(predicted * STRIP + b) * L + i];
            int bin = CalibrationBins.bin(confidence);
            sums.binCount[bin]++;
            sums.binConf[bin] += confidence;
            sums.binAcc[bin] += predicted == g ? 1 : 0;
            double brier = 0;
            for (int cls = 0; cls < c; cls++) {
                double diff = classMeans[(cls * STRIP + b) * L + i] - (cls == g ? 1 : 0);
                brier += diff * diff;
            }
            sums.brier += brier;
        }
    }
}
