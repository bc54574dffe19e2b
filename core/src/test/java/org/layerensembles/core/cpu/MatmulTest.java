package org.layerensembles.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.reference.MatmulRef;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.Nd4jInterop;
import org.layerensembles.core.testing.TestData;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * CpuBackend.matmul (CpuGemm) against the double-precision MatmulRef.
 *
 * <p>Tolerance: inputs are uniform in [-1, 1); a float32 dot product of length K accumulates
 * rounding errors of about eps * |partial sum| per step, a random walk of size ~eps * K, so we
 * allow atol = 1e-5 * sqrt(K) (which also bounds it: |partial sums| ~ sqrt(K/9)) plus rtol 1e-5.
 */
class MatmulTest {
    private final Backend cpu = new CpuBackend();

    private static double atol(int k) {
        return 1e-5 * Math.sqrt(Math.max(k, 1));
    }

    private static final double RTOL = 1e-5;

    private void checkAgainstReference(String what, NDArray a, NDArray b, boolean ta, boolean tb, int k) {
        NDArray c = cpu.matmul(a, b, ta, tb);
        int[] shape = MatmulRef.shape(a.shape(), b.shape(), ta, tb);
        assertArrayEquals(shape, c.shape(), what + ": shape");
        double[] expected = MatmulRef.matmul(RefArrays.doubles(a), a.shape(), RefArrays.doubles(b), b.shape(), ta, tb);
        Compare.assertClose(what, expected, c, atol(k), RTOL);
    }

    /** Operand shapes [rows, cols] as stored: [M, K] for A, or [K, M] when it is read transposed. */
    private static int[] stored(int outer, int inner, boolean transposed) {
        return transposed ? new int[] {inner, outer} : new int[] {outer, inner};
    }

    // Sizes cover the micro-tile edges (6 rows, 64 or 16 columns), the depth block (256), the A
    // block (252 rows) and the B panel (512 columns), and degenerate M = 1 / N = 1 / K = 1.
    @ParameterizedTest(name = "M={0} K={1} N={2}")
    @CsvSource({"1,1,1", "7,13,5", "65,129,33", "1,300,70", "70,300,1", "6,1,64", "260,600,130", "20,40,1100"})
    void matchesReferenceForAllTransposes(int m, int k, int n) {
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0;
            boolean tb = (t & 2) != 0;
            NDArray a = TestData.array(11 + t, stored(m, k, ta));
            NDArray b = TestData.array(23 + t, stored(k, n, tb));
            checkAgainstReference("M=" + m + " K=" + k + " N=" + n + " tA=" + ta + " tB=" + tb, a, b, ta, tb, k);
        }
    }

    @Test
    void batchedAndBroadcastBatches() {
        checkAgainstReference("[3,M,K]x[3,K,N]", TestData.array(1, 3, 9, 17), TestData.array(2, 3, 17, 11), false, false, 17);
        checkAgainstReference("[B,M,K]x[K,N]", TestData.array(3, 4, 9, 17), TestData.array(4, 17, 70), false, false, 17);
        checkAgainstReference("[M,K]x[B,K,N]", TestData.array(5, 9, 17), TestData.array(6, 5, 17, 7), false, false, 17);
        checkAgainstReference("[2,1,M,K]x[3,K,N]", TestData.array(7, 2, 1, 8, 30), TestData.array(8, 3, 30, 13), false, false, 30);
        checkAgainstReference("[2,1,K,M]^T x [1,3,N,K]^T", TestData.array(9, 2, 1, 30, 8), TestData.array(10, 1, 3, 13, 30),
                true, true, 30);
        // Large enough per product to take the parallel-within-a-product path.
        checkAgainstReference("[2,M,K]x[K,N] large", TestData.array(12, 2, 130, 200), TestData.array(13, 200, 150), false, false, 200);
    }

    /**
     * Against ND4J's own product (an implementation nobody here wrote) on random shapes drawn from
     * sizes around every tile, block and panel edge, for all transpose flags, with operands stored
     * contiguously or transposed in memory. Same tolerance as against the reference.
     */
    @Test
    void matchesNd4jOnRandomShapes() {
        Random rng = new Random(8);
        for (int i = 0; i < 24; i++) {
            int m = GemmTest.SIZES[rng.nextInt(GemmTest.SIZES.length)];
            int n = GemmTest.SIZES[rng.nextInt(GemmTest.SIZES.length)];
            int k = GemmTest.SIZES[rng.nextInt(GemmTest.SIZES.length)];
            int t = rng.nextInt(4);
            boolean ta = (t & 1) != 0;
            boolean tb = (t & 2) != 0;
            boolean strided = rng.nextBoolean();
            int[] as = stored(m, k, ta);
            int[] bs = stored(k, n, tb);
            NDArray a = strided ? TestData.nonContiguous(100 + i, as) : TestData.array(100 + i, as);
            NDArray b = strided ? TestData.nonContiguous(200 + i, bs) : TestData.array(200 + i, bs);
            INDArray an = Nd4jInterop.nd4j(a);
            INDArray bn = Nd4jInterop.nd4j(b);
            INDArray expected = (ta ? an.transpose() : an).mmul(tb ? bn.transpose() : bn);
            String what = "vs ND4J M=" + m + " N=" + n + " K=" + k + " tA=" + ta + " tB=" + tb
                    + " strided=" + strided;
            Compare.assertClose(what, Nd4jInterop.doubles(expected), cpu.matmul(a, b, ta, tb), atol(k), RTOL);
        }
    }

    @Test
    void batchedWithTransposesAndOddSizes() {
        // Broadcast batches with both operands read transposed, on sizes off every tile edge.
        checkAgainstReference("[3,K,M]^T x [K,N]", TestData.array(71, 3, 65, 7), TestData.array(72, 65, 129),
                true, false, 65);
        checkAgainstReference("[M,K] x [2,3,N,K]^T", TestData.array(73, 17, 31), TestData.array(74, 2, 3, 5, 31),
                false, true, 31);
        checkAgainstReference("[2,1,K,M]^T x [4,N,K]^T", TestData.array(75, 2, 1, 257, 3),
                TestData.array(76, 4, 63, 257), true, true, 257);
        checkAgainstReference("[5,M,K] x [5,K,N] strided", TestData.nonContiguous(77, 5, 16, 144),
                TestData.nonContiguous(78, 5, 144, 200), false, false, 144);
    }

    @Test
    void nonContiguousOperands() {
        // Transposed storage (TestData.nonContiguous), for every transpose flag.
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0;
            boolean tb = (t & 2) != 0;
            NDArray a = TestData.nonContiguous(31 + t, stored(37, 45, ta));
            NDArray b = TestData.nonContiguous(41 + t, stored(45, 70, tb));
            checkAgainstReference("non-contiguous tA=" + ta + " tB=" + tb, a, b, ta, tb, 45);
        }
        // A column slice (row stride larger than the row), a batch broadcast with stride 0, and a
        // row broadcast with stride 0 inside the matrix.
        NDArray wide = TestData.array(51, 19, 40);
        NDArray sliced = wide.slice(1, 3, 33);
        checkAgainstReference("sliced A", sliced, TestData.array(52, 30, 21), false, false, 30);
        NDArray shared = TestData.array(53, 19, 30).broadcastTo(4, 19, 30);
        checkAgainstReference("stride-0 batch", shared, TestData.array(54, 4, 30, 9), false, false, 30);
        NDArray rowRepeated = TestData.array(55, 1, 30).broadcastTo(7, 30);
        checkAgainstReference("stride-0 rows", rowRepeated, TestData.array(56, 30, 9), false, false, 30);
        NDArray batchSelected = TestData.array(57, 5, 12, 3, 10).select(2, 1);
        checkAgainstReference("selected batch view", batchSelected, TestData.array(58, 10, 6), false, false, 10);
    }

    @Test
    void emptyInnerDimensionGivesZeros() {
        NDArray c = cpu.matmul(NDArrays.zeros(3, 0), NDArrays.zeros(0, 4), false, false);
        assertArrayEquals(new int[] {3, 4}, c.shape());
        Compare.assertClose("K = 0", new double[12], c, 0, 0);
        NDArray e = cpu.matmul(NDArrays.zeros(2, 0, 5), NDArrays.zeros(5, 4), false, false);
        assertArrayEquals(new int[] {2, 0, 4}, e.shape());
    }

    @Test
    void resultDoesNotDependOnThreadCount() {
        Supplier<NDArray[]> run = () -> new NDArray[] {
                cpu.matmul(TestData.array(61, 300, 600), TestData.array(62, 600, 700), false, false),
                cpu.matmul(TestData.array(63, 700, 300), TestData.array(64, 500, 700), true, true),
                cpu.matmul(TestData.array(65, 16, 20, 30), TestData.array(66, 30, 25), false, false),
        };
        Compare.assertThreadCountIndependent("product", run);
    }

    @Test
    void badInputThrowsNamingShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cpu.matmul(NDArrays.zeros(2, 3), NDArrays.zeros(4, 5), false, false));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("[2, 3]")
                && e.getMessage().contains("[4, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> cpu.matmul(NDArrays.zeros(3), NDArrays.zeros(3, 5), false, false));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("rank"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> cpu.matmul(NDArrays.zeros(2, 3, 4), NDArrays.zeros(3, 4, 5), false, false));
        assertTrue(e.getMessage().contains("[2, 3, 4]") && e.getMessage().contains("[3, 4, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> cpu.matmul(NDArrays.zeros(2, 3), NDArrays.zeros(3, 2), false, true));
        assertTrue(e.getMessage().contains("matmul"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> cpu.matmul(NDArrays.zeros(DType.INT32, 2, 3), NDArrays.zeros(3, 2), false, false));
    }
}
