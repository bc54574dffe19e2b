package org.layerensembles.core.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision matrix product on native memory, GotoBLAS/BLIS style:
 * {@code C[m x n] = A[m x k] * B[k x n]} (or {@code C +=} it).
 *
 * <p>Loops, outermost first: column blocks of {@link #NC} columns (jc), depth blocks of
 * {@link #KC} (pc; the B panel is packed here, k-major in micro-panels of {@link #NR} columns,
 * zero-padded at the edge), row blocks of at most {@link #MC} rows (ic), then micro-panels of NR
 * columns and {@link #MR} rows, each an {@code MR x NR} tile of C held in registers by the
 * micro-kernel while it walks the depth. Operands are given by a segment, an offset and a row and
 * a column stride (in elements), so a transposed operand is just swapped strides.
 *
 * <p>A is not packed: the micro-kernel broadcasts its six values per depth straight from A
 * through the two strides (six sequential streams for a row-major A, six adjacent values for a
 * transposed one). Measured on this project's machine this matched packing for a row-major A
 * and beat it for a transposed one, whose packing costs a scalar pass. Rows past the edge of A
 * re-read its last row and are dropped at the merge, so the kernel never branches. The kernel
 * writes its tile to a small scratch, which is then added (or written) to C: a vector handed to
 * a helper method that is not inlined is boxed and its operations fall back to scalar Java.
 *
 * <p>Determinism: every element of C is summed in the same order whatever the threads or the
 * task split: depth blocks of {@link #KC} in increasing order, each block accumulated from zero
 * in registers by FMA and then added to C. Threads only split C into disjoint rectangles.
 *
 * <p>The micro-kernel is 6 rows x 4 vectors (6 x 64 floats on AVX-512: 24 accumulators, 4 B
 * vectors and a broadcast in 32 registers), or 6 x 2 vectors where the preferred vectors are
 * 256 bits or narrower (AVX2 has 16 registers). It is kept small: a big method may miss C2
 * compilation (CPU-KERNELS.md, "tiered-compilation trap"; a variant that merged into C inside
 * the kernel, at 2 KB of bytecode, fell into it and ran at 1 GFLOP/s).
 */
public final class CpuGemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final int L = S.length();
    private static final long VB = L * 4L;
    /** Vectors of columns per micro-tile. */
    static final int NV = S.vectorBitSize() >= 512 ? 4 : 2;
    /** Rows of a micro-tile. */
    public static final int MR = 6;
    /** Columns of a micro-tile. */
    public static final int NR = NV * L;
    /** Depth of a packed block. */
    public static final int KC = 256;
    /** Rows of A per row block (a multiple of MR): one block's rows stay in L2 across the panel. */
    public static final int MC = 252;
    /** Columns of a packed B panel (a multiple of NR). */
    public static final int NC = Math.max(512 / NR, 1) * NR;

    /** Below this many flops a product runs on the calling thread only. */
    private static final long PARALLEL_FLOPS = 1L << 22;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Packed B panel and edge tile of one thread, allocated once and reused by every call on it. */
    private static final class Scratch {
        final MemorySegment b;
        final MemorySegment tile;

        Scratch() {
            Arena arena = Arena.ofAuto();
            b = arena.allocate((long) KC * NC * 4, 64);
            tile = arena.allocate((long) MR * NR * 4, 64);
        }
    }

    private CpuGemm() {
    }

    /**
     * {@code C = A * B}, or {@code C += A * B} when {@code accumulate}. Element (i, p) of A is at
     * element {@code aOff + i*aRs + p*aCs} of segment {@code a} (so a transposed A is just
     * swapped strides), likewise B; element (i, j) of C is at {@code cOff + i*ldc + j}. C must not
     * overlap A or B.
     *
     * @param parallel whether to spread the work over {@link Parallel}'s workers; pass false when
     *                 calling from inside a parallel task
     */
    public static void gemm(int m, int n, int k,
                            MemorySegment a, long aOff, long aRs, long aCs,
                            MemorySegment b, long bOff, long bRs, long bCs,
                            MemorySegment c, long cOff, long ldc,
                            boolean accumulate, boolean parallel) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("gemm: negative size m=" + m + " n=" + n + " k=" + k);
        }
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    c.asSlice((cOff + i * ldc) * 4, n * 4L).fill((byte) 0);
                }
            }
            return;
        }
        Operands o = new Operands(k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, accumulate);
        long flops = 2L * m * n * k;
        int tasks = !parallel || flops < PARALLEL_FLOPS ? 1 : flops < 256 * PARALLEL_FLOPS ? 2 : 4;
        int colPanels = (n + NR - 1) / NR;
        int rowPanels = (m + MR - 1) / MR;
        // Tasks split the columns (each packs its own part of B); with too few column panels they
        // split the rows instead, and each packs all of B.
        boolean byRows = colPanels < tasks && rowPanels > colPanels;
        if (tasks == 1 || (colPanels < 2 && rowPanels < 2)) {
            block(o, 0, m, 0, n);
        } else if (byRows) {
            int chunk = ceilDiv(rowPanels, tasks) * MR;
            Parallel.forEach(ceilDiv(m, chunk), t -> block(o, t * chunk, Math.min(m, (t + 1) * chunk), 0, n));
        } else {
            int chunk = ceilDiv(colPanels, Math.min(tasks, colPanels)) * NR;
            Parallel.forEach(ceilDiv(n, chunk), t -> block(o, 0, m, t * chunk, Math.min(n, (t + 1) * chunk)));
        }
    }

    /** A product's operands: where they are and how they are laid out. */
    private record Operands(int k, MemorySegment a, long aOff, long aRs, long aCs,
                            MemorySegment b, long bOff, long bRs, long bCs,
                            MemorySegment c, long cOff, long ldc, boolean accumulate) {
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    /** Computes the rectangle rows [i0, i1) x columns [j0, j1) of C on this thread. */
    private static void block(Operands o, int i0, int i1, int j0, int j1) {
        Scratch s = SCRATCH.get();
        int k = o.k;
        // Row blocks of at most MC rows, as even as whole micro-panels allow.
        int rowBlocks = ceilDiv(i1 - i0, MC);
        int mcEven = ceilDiv(ceilDiv(i1 - i0, rowBlocks), MR) * MR;
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                CpuGemmPacking.packB(o.b, o.bOff + pc * o.bRs + jc * o.bCs, o.bRs, o.bCs, kc, nc, s.b);
                boolean add = o.accumulate || pc > 0;
                for (int ic = i0; ic < i1; ic += mcEven) {
                    int mc = Math.min(mcEven, i1 - ic);
                    long aStart = o.aOff + ic * o.aRs + pc * o.aCs;
                    macroKernel(s, o.a, aStart * 4, o.aRs * 4, o.aCs * 4, mc, nc, kc,
                            o.c, o.cOff + ic * o.ldc + jc, o.ldc, add);
                }
            }
        }
    }

    /**
     * All micro-tiles of rows [0, mc) of A (read in place from byte offset {@code aStart} with
     * the given row and depth strides in bytes) times one packed B panel.
     */
    private static void macroKernel(Scratch s, MemorySegment a, long aStart, long aRowBytes, long aDepthBytes,
                                    int mc, int nc, int kc, MemorySegment c, long cOff, long ldc,
                                    boolean add) {
        long ldcBytes = ldc * 4;
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            long bPanel = (long) jr * kc * 4;
            for (int ir = 0; ir < mc; ir += MR) {
                int mr = Math.min(MR, mc - ir);
                long aPanel = aStart + ir * aRowBytes;
                long cPos = cOff + ir * ldc + jr;
                microKernel(a, aPanel, aRowBytes, aDepthBytes, mr, s.b, bPanel, kc, s.tile);
                if (mr == MR && nr == NR) {
                    mergeFullTile(s.tile, c, cPos * 4, ldcBytes, add);
                } else {
                    mergeTile(s.tile, c, cPos, ldc, mr, nr, add);
                }
            }
        }
    }

    /** One micro-tile: the MR x NR product of an A and a B micro-panel, written to {@code tile}. */
    private static void microKernel(MemorySegment a, long ao, long aRow, long aDepth, int rows,
                                    MemorySegment bp, long bo, int kc, MemorySegment tile) {
        if (NV == 4) {
            kernel6x4(a, ao, aRow, aDepth, rows, bp, bo, kc, tile);
        } else {
            kernel6x2(a, ao, aRow, aDepth, rows, bp, bo, kc, tile);
        }
    }

    /** Writes (or adds) a whole MR x NR tile into C with vectors. */
    private static void mergeFullTile(MemorySegment tile, MemorySegment c, long cAt, long ldcBytes, boolean add) {
        long t = 0;
        for (int i = 0; i < MR; i++, cAt += ldcBytes) {
            for (int v = 0; v < NV; v++, t += VB) {
                FloatVector x = FloatVector.fromMemorySegment(S, tile, t, NO);
                if (add) {
                    x = FloatVector.fromMemorySegment(S, c, cAt + v * VB, NO).add(x);
                }
                x.intoMemorySegment(c, cAt + v * VB, NO);
            }
        }
    }

    /** Writes (or adds) the valid mr x nr corner of an edge tile into C. */
    private static void mergeTile(MemorySegment tile, MemorySegment c, long cPos, long ldc, int mr, int nr,
                                  boolean add) {
        for (int i = 0; i < mr; i++) {
            long row = (cPos + i * ldc) * 4;
            long t = (long) i * NR * 4;
            for (int j = 0; j < nr; j++) {
                float v = tile.get(F, t + j * 4L);
                if (add) {
                    v = c.get(F, row + j * 4L) + v;
                }
                c.set(F, row + j * 4L, v);
            }
        }
    }

    /**
     * The 6 x (4 vectors) micro-kernel: tile = A rows (6 x kc, read through its strides) times
     * a packed B micro-panel (kc x 4L), k not unrolled (unrolling makes the full register file
     * spill). The accumulators go to a scratch tile rather than to helper methods: a vector
     * passed to a method that is not inlined is boxed and its operations fall back to scalar Java
     * (10x slower).
     */
    private static void kernel6x4(MemorySegment a, long ao, long aRow, long aDepth, int rows,
                                  MemorySegment bp, long bo, int kc, MemorySegment t) {
        // Row r of the tile reads A at r0 + r*aRow; rows past the edge re-read the last valid row
        // (their results are never merged into C).
        long r1 = ao + Math.min(1, rows - 1) * aRow;
        long r2 = ao + Math.min(2, rows - 1) * aRow;
        long r3 = ao + Math.min(3, rows - 1) * aRow;
        long r4 = ao + Math.min(4, rows - 1) * aRow;
        long r5 = ao + Math.min(5, rows - 1) * aRow;
        long o = 0;
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        FloatVector c40 = c00, c41 = c00, c42 = c00, c43 = c00;
        FloatVector c50 = c00, c51 = c00, c52 = c00, c53 = c00;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, bp, bo, NO);
            FloatVector b1 = FloatVector.fromMemorySegment(S, bp, bo + VB, NO);
            FloatVector b2 = FloatVector.fromMemorySegment(S, bp, bo + 2 * VB, NO);
            FloatVector b3 = FloatVector.fromMemorySegment(S, bp, bo + 3 * VB, NO);
            FloatVector x = FloatVector.broadcast(S, a.get(F, ao + o));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(S, a.get(F, r1 + o));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(S, a.get(F, r2 + o));
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(S, a.get(F, r3 + o));
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
            x = FloatVector.broadcast(S, a.get(F, r4 + o));
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            c42 = x.fma(b2, c42);
            c43 = x.fma(b3, c43);
            x = FloatVector.broadcast(S, a.get(F, r5 + o));
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            c52 = x.fma(b2, c52);
            c53 = x.fma(b3, c53);
            o += aDepth;
            bo += 4 * VB;
        }
        c00.intoMemorySegment(t, 0, NO);
        c01.intoMemorySegment(t, VB, NO);
        c02.intoMemorySegment(t, 2 * VB, NO);
        c03.intoMemorySegment(t, 3 * VB, NO);
        c10.intoMemorySegment(t, 4 * VB, NO);
        c11.intoMemorySegment(t, 5 * VB, NO);
        c12.intoMemorySegment(t, 6 * VB, NO);
        c13.intoMemorySegment(t, 7 * VB, NO);
        c20.intoMemorySegment(t, 8 * VB, NO);
        c21.intoMemorySegment(t, 9 * VB, NO);
        c22.intoMemorySegment(t, 10 * VB, NO);
        c23.intoMemorySegment(t, 11 * VB, NO);
        c30.intoMemorySegment(t, 12 * VB, NO);
        c31.intoMemorySegment(t, 13 * VB, NO);
        c32.intoMemorySegment(t, 14 * VB, NO);
        c33.intoMemorySegment(t, 15 * VB, NO);
        c40.intoMemorySegment(t, 16 * VB, NO);
        c41.intoMemorySegment(t, 17 * VB, NO);
        c42.intoMemorySegment(t, 18 * VB, NO);
        c43.intoMemorySegment(t, 19 * VB, NO);
        c50.intoMemorySegment(t, 20 * VB, NO);
        c51.intoMemorySegment(t, 21 * VB, NO);
        c52.intoMemorySegment(t, 22 * VB, NO);
        c53.intoMemorySegment(t, 23 * VB, NO);
    }

    /** The 6 x (2 vectors) micro-kernel for machines with 16 vector registers (AVX2). */
    private static void kernel6x2(MemorySegment a, long ao, long aRow, long aDepth, int rows,
                                  MemorySegment bp, long bo, int kc, MemorySegment t) {
        // Row r of the tile reads A at r0 + r*aRow; rows past the edge re-read the last valid row
        // (their results are never merged into C).
        long r1 = ao + Math.min(1, rows - 1) * aRow;
        long r2 = ao + Math.min(2, rows - 1) * aRow;
        long r3 = ao + Math.min(3, rows - 1) * aRow;
        long r4 = ao + Math.min(4, rows - 1) * aRow;
        long r5 = ao + Math.min(5, rows - 1) * aRow;
        long o = 0;
        FloatVector c00 = FloatVector.zero(S), c01 = c00;
        FloatVector c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00;
        FloatVector c40 = c00, c41 = c00;
        FloatVector c50 = c00, c51 = c00;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, bp, bo, NO);
            FloatVector b1 = FloatVector.fromMemorySegment(S, bp, bo + VB, NO);
            FloatVector x = FloatVector.broadcast(S, a.get(F, ao + o));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a.get(F, r1 + o));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a.get(F, r2 + o));
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a.get(F, r3 + o));
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a.get(F, r4 + o));
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a.get(F, r5 + o));
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            o += aDepth;
            bo += 2 * VB;
        }
        c00.intoMemorySegment(t, 0, NO);
        c01.intoMemorySegment(t, VB, NO);
        c10.intoMemorySegment(t, 2 * VB, NO);
        c11.intoMemorySegment(t, 3 * VB, NO);
        c20.intoMemorySegment(t, 4 * VB, NO);
        c21.intoMemorySegment(t, 5 * VB, NO);
        c30.intoMemorySegment(t, 6 * VB, NO);
        c31.intoMemorySegment(t, 7 * VB, NO);
        c40.intoMemorySegment(t, 8 * VB, NO);
        c41.intoMemorySegment(t, 9 * VB, NO);
        c50.intoMemorySegment(t, 10 * VB, NO);
        c51.intoMemorySegment(t, 11 * VB, NO);
    }
}
