package org.layerensembles.core.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Backends;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.cpu.CpuBackend;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Nd4jBackend (ND4J's GEMM and conv2d op on our memory) gives the CPU backend's results, and its
 * wrapper really shares memory. Tolerance: two float32 implementations summing in different
 * orders, atol 1e-5 * sqrt(K), rtol 1e-5.
 */
class Nd4jBackendTest {
    private final Backend cpu = new CpuBackend();
    private final Backend nd4j = new Nd4jBackend();

    @Test
    void isFoundByName() {
        assertEquals("nd4j", nd4j.name());
        assertInstanceOf(Nd4jBackend.class, Backends.get("nd4j"));
    }

    @Test
    void matmulMatchesCpu() {
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0;
            boolean tb = (t & 2) != 0;
            NDArray a = TestData.array(1 + t, ta ? new int[] {45, 37} : new int[] {37, 45});
            NDArray b = TestData.array(5 + t, tb ? new int[] {70, 45} : new int[] {45, 70});
            check("2-D tA=" + ta + " tB=" + tb, a, b, ta, tb, 45);
        }
        check("batched", TestData.array(10, 3, 9, 17), TestData.array(11, 3, 17, 11), false, false, 17);
        check("broadcast batch", TestData.array(12, 2, 1, 8, 30), TestData.array(13, 3, 30, 13), false, false, 30);
        check("transposed batch", TestData.array(14, 4, 30, 8), TestData.array(15, 30, 13), true, false, 30);
        check("non-contiguous", TestData.nonContiguous(16, 2, 9, 17), TestData.nonContiguous(17, 11, 17), false, true, 17);
        check("M=1, N=1", TestData.array(18, 1, 50), TestData.array(19, 50, 1), false, false, 50);
        NDArray empty = nd4j.matmul(NDArrays.zeros(3, 0), NDArrays.zeros(0, 4), false, false);
        Compare.assertClose("K = 0", new double[12], empty, 0, 0);
    }

    private void check(String what, NDArray a, NDArray b, boolean ta, boolean tb, int k) {
        Compare.assertClose(what, cpu.matmul(a, b, ta, tb), nd4j.matmul(a, b, ta, tb), 1e-5 * Math.sqrt(k), 1e-5);
    }

    @Test
    void conv2dMatchesCpu() {
        int[][] shapes = {
                // n, c, h, w, f, kh, kw, sh, sw, ph, pw, dh, dw, bias
                {2, 3, 9, 11, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1},
                {2, 5, 6, 7, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1},
                {1, 3, 15, 13, 4, 7, 7, 2, 2, 3, 3, 1, 1, 0},
                {2, 2, 8, 9, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1},
                {1, 3, 10, 9, 2, 3, 3, 1, 1, 2, 2, 2, 2, 1},
                {2, 1, 5, 17, 6, 2, 4, 1, 3, 0, 2, 2, 1, 0},
        };
        for (int[] s : shapes) {
            Conv2dParams p = new Conv2dParams(s[7], s[8], s[9], s[10], s[11], s[12]);
            NDArray x = TestData.array(21, s[0], s[1], s[2], s[3]);
            NDArray w = TestData.array(22, s[4], s[1], s[5], s[6]);
            NDArray b = s[13] == 1 ? TestData.array(23, s[4]) : null;
            Compare.assertClose("conv2d " + java.util.Arrays.toString(s), cpu.conv2d(x, w, b, p), nd4j.conv2d(x, w, b, p),
                    1e-5 * Math.sqrt(s[1] * s[5] * s[6]), 1e-5);
        }
        // Non-contiguous inputs are made contiguous before wrapping.
        Conv2dParams p = Conv2dParams.of(1, 1);
        NDArray x = TestData.nonContiguous(24, 2, 3, 6, 5);
        NDArray w = TestData.nonContiguous(25, 4, 3, 3, 3);
        Compare.assertClose("conv2d non-contiguous", cpu.conv2d(x, w, null, p), nd4j.conv2d(x, w, null, p), 1e-4, 1e-5);
    }

    @Test
    void conv2dRejectsBadInputLikeCpu() {
        assertThrows(IllegalArgumentException.class,
                () -> nd4j.conv2d(NDArrays.zeros(1, 3, 5, 5), NDArrays.zeros(4, 2, 3, 3), null, Conv2dParams.of(1, 1)));
        assertThrows(IllegalArgumentException.class,
                () -> nd4j.matmul(NDArrays.zeros(2, 3), NDArrays.zeros(4, 5), false, false));
    }

    @Test
    void wrapperSharesMemory() {
        try (MemoryScope scope = MemoryScope.open()) {
            NDArray x = TestData.array(31, 3, 4);
            INDArray view = Nd4jArrays.wrap(x);
            assertEquals(x.getFloat(2, 1), view.getFloat(2, 1));
            // Written through ND4J, read through NDArray.
            view.putScalar(new long[] {1, 2}, 42f);
            assertEquals(42f, x.getFloat(1, 2));
            view.muli(2);
            assertEquals(84f, x.getFloat(1, 2));
            // Written through NDArray, read through ND4J.
            x.setFloat(-7f, 0, 3);
            assertEquals(-7f, view.getFloat(0, 3));

            // A strided view at an offset: the transpose of a column slice.
            NDArray base = TestData.array(32, 5, 6);
            NDArray sub = base.slice(1, 2, 5).transpose(0, 1);
            INDArray subView = Nd4jArrays.wrap(sub);
            assertEquals(3, subView.size(0));
            assertEquals(5, subView.size(1));
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 5; j++) {
                    assertEquals(sub.getFloat(i, j), subView.getFloat(i, j));
                }
            }
            subView.putScalar(new long[] {2, 4}, 99f);
            assertEquals(99f, base.getFloat(4, 4));

            // int32 arrays too.
            NDArray ints = NDArrays.of(new int[] {1, 2, 3, 4, 5, 6}, 2, 3);
            INDArray intView = Nd4jArrays.wrap(ints);
            assertEquals(6, intView.getInt(1, 2));
            intView.putScalar(new long[] {0, 0}, 17);
            assertEquals(17, ints.getInt(0, 0));
            assertEquals(DType.INT32, ints.dtype());
        }
    }
}
