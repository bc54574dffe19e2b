package org.layerensembles.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * CpuGemm.gemm, called directly as the convolutions call it, against a double-precision product
 * computed here, on random shapes from sizes around every tile, block and panel edge, for all four
 * transpose combinations, with padded (strided) operands and C, with and without accumulation.
 *
 * <p>Tolerance per element: {@code (K + 2) * 2^-24 * sum |terms|}, where the terms are the K
 * products and, when accumulating, the old value of C: a bound on the rounding of any summation
 * order of K + 1 float terms (a wrong or missing term is of the order of sum |terms| / K, far
 * above it).
 */
class GemmTest {
    static final int[] SIZES = {1, 2, 3, 5, 6, 7, 16, 17, 31, 63, 64, 65, 127, 200, 257, 513};
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void randomShapesMatchDoubleReference() {
        Random rng = new Random(20261127);
        for (int i = 0; i < 48; i++) {
            int m = SIZES[rng.nextInt(SIZES.length)];
            int n = SIZES[rng.nextInt(SIZES.length)];
            int k = SIZES[rng.nextInt(SIZES.length)];
            // Keep the double reference quick: skip the few largest volumes.
            if ((long) m * n * k > 40_000_000L) {
                continue;
            }
            for (int t = 0; t < 4; t++) {
                Case c = Case.random(rng, m, n, k, (t & 1) != 0, (t & 2) != 0, rng.nextBoolean(), rng.nextInt(4));
                c.check();
            }
        }
    }

    @Test
    void smallAndNarrowShapesOfTheNetwork() {
        // 1x1 heads and convs with few output channels (small M), few input channels (small N in
        // backward-weights), 3x3 weight gradients (N = 9 C), and their transposed forms.
        int[][] shapes = {{2, 4096, 16}, {16, 3000, 144}, {4, 1000, 32}, {32, 700, 288}, {1, 513, 65},
                {200, 16, 300}, {513, 2, 17}, {128, 16, 700}, {16, 16, 4000}, {2, 16, 3000}, {16, 144, 3000},
                {64, 576, 300}, {17, 145, 65}};
        Random rng = new Random(7);
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                Case.random(rng, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, t == 3, 3).check();
            }
        }
    }

    @Test
    void sizesAroundBlockEdges() {
        // Depth blocks of at most 256 (K = 256, 257, 512, 513), A blocks of 252 rows, B panels of
        // 512 columns, tiles of 6, 4 and 2 rows.
        int[][] shapes = {{252, 512, 256}, {253, 513, 257}, {6, 64, 512}, {12, 96, 513}, {258, 100, 600}};
        Random rng = new Random(11);
        for (int[] s : shapes) {
            Case.random(rng, s[0], s[1], s[2], false, false, false, 0).check();
            Case.random(rng, s[0], s[1], s[2], true, true, true, 5).check();
        }
    }

    @Test
    void operandsWithoutUnitStride() {
        // Neither A nor B has a unit stride (every other float of a buffer): both get packed.
        Random rng = new Random(13);
        int[][] shapes = {{7, 65, 31}, {64, 200, 257}, {300, 17, 40}, {2, 513, 6}};
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                Case.spread(rng, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, t == 1, 2, 2).check();
            }
        }
    }

    @Test
    void resultDoesNotDependOnThreadCount() {
        int[][] shapes = {{300, 600, 300}, {16, 20000, 144}, {2, 30000, 16}, {700, 40, 500}, {64, 64, 2000},
                {1000, 1000, 64}};
        for (int t = 0; t < 4; t++) {
            for (int[] s : shapes) {
                Random rng = new Random(s[0] * 31L + s[1] + t);
                Case c = Case.random(rng, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, t == 2, 1);
                Parallel.setThreads(1);
                float[] one = c.run(true);
                Parallel.setThreads(2);
                float[] two = c.run(true);
                float[] serial = c.run(false);
                for (int i = 0; i < one.length; i++) {
                    if (Float.floatToRawIntBits(one[i]) != Float.floatToRawIntBits(two[i])
                            || Float.floatToRawIntBits(one[i]) != Float.floatToRawIntBits(serial[i])) {
                        fail(c + ": element " + i + " differs: 1 thread " + one[i] + ", 2 threads " + two[i]
                                + ", not parallel " + serial[i]);
                    }
                }
            }
        }
    }

    @Test
    void zeroDepthWritesZerosOrLeavesC() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment c = arena.allocate(6 * 4L, 64);
            c.fill((byte) 0x3f);
            MemorySegment empty = arena.allocate(4, 64);
            CpuGemm.gemm(2, 3, 0, empty, 0, 0, 1, empty, 0, 3, 1, c, 0, 3, true, false);
            assertTrue(c.getAtIndex(F, 0) != 0f, "accumulating an empty product leaves C");
            CpuGemm.gemm(2, 3, 0, empty, 0, 0, 1, empty, 0, 3, 1, c, 0, 3, false, false);
            for (int i = 0; i < 6; i++) {
                assertEquals(0f, c.getAtIndex(F, i));
            }
        }
    }

    /**
     * The same checks on the 256-bit vector path (AVX2: 8 lanes, 16 registers, its own tiles), in
     * a JVM started with {@code -XX:UseAVX=2}, so that no code path assumes 16 lanes.
     */
    @Test
    void avx2PathInAChildJvm() throws IOException, InterruptedException {
        String arch = System.getProperty("os.arch");
        Assumptions.assumeTrue(arch.equals("amd64") || arch.equals("x86_64"), "x86 only");
        Assumptions.assumeTrue(FloatVector.SPECIES_PREFERRED.vectorBitSize() > 256, "this JVM already runs it");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-XX:UseAVX=2", "--add-modules",
                "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), GemmNarrowVectorCheck.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        boolean done = p.waitFor(5, TimeUnit.MINUTES);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!done) {
            p.destroyForcibly();
            fail("child JVM timed out:\n" + out);
        }
        assertEquals(0, p.exitValue(), "child JVM failed:\n" + out);
        assertTrue(out.contains("lanes=8 ok"), out);
    }

    /** One product with its operands laid out in native memory, and its double reference. */
    record Case(int m, int n, int k, boolean ta, boolean tb, boolean accumulate, int pad, int spread,
                float[] a, float[] b, float[] c0) {

        static Case random(Random rng, int m, int n, int k, boolean ta, boolean tb, boolean accumulate, int pad) {
            return spread(rng, m, n, k, ta, tb, accumulate, pad, 1);
        }

        /** Operands whose stored elements are {@code spread} floats apart (2: no unit stride at all). */
        static Case spread(Random rng, int m, int n, int k, boolean ta, boolean tb, boolean accumulate, int pad,
                           int spread) {
            return new Case(m, n, k, ta, tb, accumulate, pad, spread, values(rng, m * k), values(rng, k * n),
                    values(rng, m * (n + pad)));
        }

        private static float[] values(Random rng, int count) {
            float[] v = new float[count];
            for (int i = 0; i < count; i++) {
                v[i] = rng.nextFloat() * 2 - 1;
            }
            return v;
        }

        /** A (m x k) stored row-major or as its transpose, with {@code pad} extra columns per stored row. */
        private long aRs() {
            return spread * (ta ? 1 : k + pad);
        }

        private long aCs() {
            return spread * (ta ? m + pad : 1);
        }

        private long bRs() {
            return spread * (tb ? 1 : n + pad);
        }

        private long bCs() {
            return spread * (tb ? k + pad : 1);
        }

        /** C after the product, with the thread pool as it is ({@code parallel}) or on this thread. */
        float[] run(boolean parallel) {
            long ldc = n + pad;
            try (Arena arena = Arena.ofShared()) {
                // One float of offset everywhere, so that nothing relies on aligned operands.
                MemorySegment as = arena.allocate(4L * (1 + spread * (long) (ta ? k : m) * ((ta ? m : k) + pad)), 64);
                MemorySegment bs = arena.allocate(4L * (1 + spread * (long) (tb ? n : k) * ((tb ? k : n) + pad)), 64);
                MemorySegment cs = arena.allocate(4L * (1 + m * ldc), 64);
                for (int i = 0; i < m; i++) {
                    for (int p = 0; p < k; p++) {
                        as.setAtIndex(F, 1 + i * aRs() + p * aCs(), a[i * k + p]);
                    }
                }
                for (int p = 0; p < k; p++) {
                    for (int j = 0; j < n; j++) {
                        bs.setAtIndex(F, 1 + p * bRs() + j * bCs(), b[p * n + j]);
                    }
                }
                for (int i = 0; i < c0.length; i++) {
                    cs.setAtIndex(F, 1 + i, c0[i]);
                }
                CpuGemm.gemm(m, n, k, as, 1, aRs(), aCs(), bs, 1, bRs(), bCs(), cs, 1, ldc, accumulate, parallel);
                float[] out = new float[c0.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = cs.getAtIndex(F, 1 + i);
                }
                return out;
            }
        }

        void check() {
            float[] got = run(true);
            long ldc = n + pad;
            double u = Math.scalb(1.0, -24);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < (int) ldc; j++) {
                    int at = (int) (i * ldc + j);
                    if (j >= n) {
                        // Padding columns of C are never written.
                        assertEquals(c0[at], got[at], this + ": padding of C changed at row " + i);
                        continue;
                    }
                    double sum = accumulate ? c0[at] : 0;
                    double terms = Math.abs(sum);
                    for (int p = 0; p < k; p++) {
                        double t = (double) a[i * k + p] * b[p * n + j];
                        sum += t;
                        terms += Math.abs(t);
                    }
                    double tol = (k + 2) * u * terms;
                    if (!(Math.abs(got[at] - sum) <= tol)) {
                        fail(this + ": C[" + i + ", " + j + "] = " + got[at] + ", expected " + sum + " (tolerance "
                                + tol + ")");
                    }
                }
            }
        }

        @Override
        public String toString() {
            return "gemm M=" + m + " N=" + n + " K=" + k + (ta ? " A^T" : "") + (tb ? " B^T" : "")
                    + (accumulate ? " C+=" : "") + " pad=" + pad + (spread > 1 ? " spread=" + spread : "");
        }
    }
}
