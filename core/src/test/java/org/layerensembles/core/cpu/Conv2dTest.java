package org.layerensembles.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.reference.ConvRef;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.FiniteDifferences;
import org.layerensembles.core.testing.TestData;

/**
 * CpuConv2d (im2col + CpuGemm) against the direct-loop ConvRef, forward and both gradients, and
 * ConvRef's gradients against central finite differences of ConvRef's forward.
 *
 * <p>Tolerances: float32 sums of K products of values in [-1, 1): atol = 1e-5 * sqrt(K) with K
 * the reduction length (C*KH*KW forward, F*KH*KW backward data, N*OH*OW backward weights), rtol
 * 1e-5. Finite differences of the double-precision twin (linear in x and w, so only rounding
 * error remains): h = 1e-6, atol 1e-7, rtol 1e-6.
 */
class Conv2dTest {
    private final Backend cpu = new CpuBackend();

    /** One convolution: input [n, c, h, w], weight [f, c, kh, kw], params, bias or not. */
    record Case(String name, int n, int c, int h, int w, int f, int kh, int kw, Conv2dParams p, boolean bias) {
        int[] x() {
            return new int[] {n, c, h, w};
        }

        int[] wt() {
            return new int[] {f, c, kh, kw};
        }

        int[] y() {
            return p.outputShape("test", x(), wt());
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("3x3 pad 1", 2, 3, 9, 11, 4, 3, 3, Conv2dParams.of(1, 1), true),
                new Case("1x1 (pointwise path)", 2, 5, 6, 7, 3, 1, 1, Conv2dParams.of(1, 0), true),
                new Case("1x1 stride 2", 1, 4, 7, 7, 3, 1, 1, Conv2dParams.of(2, 0), false),
                new Case("7x7 stride 2 pad 3", 1, 3, 15, 13, 4, 7, 7, Conv2dParams.of(2, 3), false),
                new Case("3x3 stride 2 pad 1", 2, 2, 8, 9, 3, 3, 3, Conv2dParams.of(2, 1), true),
                new Case("3x3 dilation 2 pad 2", 1, 3, 10, 9, 2, 3, 3, new Conv2dParams(1, 1, 2, 2, 2, 2), true),
                new Case("C=1, odd H/W, 2x4, mixed stride/pad/dilation", 2, 1, 5, 17, 6, 2, 4,
                        new Conv2dParams(1, 3, 0, 2, 2, 1), false),
                new Case("kernel equals padded input", 1, 2, 3, 4, 2, 5, 4, new Conv2dParams(1, 1, 1, 0, 1, 1), true),
                // Column blocks split output rows mid-row, several per image (forward and data).
                new Case("64 channels, 48x48 (column blocks)", 1, 64, 48, 48, 8, 3, 3, Conv2dParams.of(1, 1), true),
                // Several position spans per image (backward weights partials), blocks mid-row.
                new Case("8 channels, 70x60 (weight partials)", 2, 8, 70, 60, 4, 3, 3, Conv2dParams.of(1, 1), false));
    }

    private static double atol(long k) {
        return 1e-5 * Math.sqrt(Math.max(k, 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardMatchesReference(Case t) {
        NDArray x = TestData.array(1, t.x());
        NDArray w = TestData.array(2, t.wt());
        NDArray b = t.bias() ? TestData.array(3, t.f()) : null;
        NDArray y = cpu.conv2d(x, w, b, t.p());
        assertArrayEquals(t.y(), y.shape());
        double[] expected = ConvRef.forward(RefArrays.doubles(x), t.x(), RefArrays.doubles(w), t.wt(),
                b == null ? null : RefArrays.doubles(b), t.p());
        Compare.assertClose("conv2d " + t, expected, y, atol((long) t.c() * t.kh() * t.kw()), 1e-5);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardDataMatchesReference(Case t) {
        NDArray gy = TestData.array(4, t.y());
        NDArray w = TestData.array(5, t.wt());
        NDArray dx = cpu.conv2dBackwardData(gy, w, t.x(), t.p());
        assertArrayEquals(t.x(), dx.shape());
        double[] expected = ConvRef.backwardData(RefArrays.doubles(gy), RefArrays.doubles(w), t.wt(), t.x(), t.p());
        Compare.assertClose("conv2dBackwardData " + t, expected, dx, atol((long) t.f() * t.kh() * t.kw()), 1e-5);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardWeightsMatchesReference(Case t) {
        NDArray x = TestData.array(6, t.x());
        NDArray gy = TestData.array(7, t.y());
        NDArray dw = cpu.conv2dBackwardWeights(x, gy, t.wt(), t.p());
        assertArrayEquals(t.wt(), dw.shape());
        double[] expected = ConvRef.backwardWeights(RefArrays.doubles(x), t.x(), RefArrays.doubles(gy), t.wt(), t.p());
        int[] y = t.y();
        Compare.assertClose("conv2dBackwardWeights " + t, expected, dw, atol((long) y[0] * y[2] * y[3]), 1e-5);
    }

    @Test
    void nonContiguousInputs() {
        Case t = new Case("3x3 stride 2 pad 1", 2, 3, 9, 8, 4, 3, 3, Conv2dParams.of(2, 1), true);
        NDArray x = TestData.nonContiguous(8, t.x());
        NDArray w = TestData.nonContiguous(9, t.wt());
        NDArray b = TestData.nonContiguous(10, t.f());
        NDArray gy = TestData.nonContiguous(11, t.y());
        double atol = atol(100);
        Compare.assertClose("forward", ConvRef.forward(RefArrays.doubles(x), t.x(), RefArrays.doubles(w), t.wt(),
                RefArrays.doubles(b), t.p()), cpu.conv2d(x, w, b, t.p()), atol, 1e-5);
        Compare.assertClose("backward data", ConvRef.backwardData(RefArrays.doubles(gy), RefArrays.doubles(w), t.wt(),
                t.x(), t.p()), cpu.conv2dBackwardData(gy, w, t.x(), t.p()), atol, 1e-5);
        Compare.assertClose("backward weights", ConvRef.backwardWeights(RefArrays.doubles(x), t.x(),
                RefArrays.doubles(gy), t.wt(), t.p()), cpu.conv2dBackwardWeights(x, gy, t.wt(), t.p()), atol, 1e-5);
    }

    /** The twin's analytic gradients equal central differences of its forward. */
    @Test
    void referenceGradientsMatchFiniteDifferences() {
        List<Case> small = List.of(
                new Case("3x3 pad 1", 2, 2, 5, 6, 3, 3, 3, Conv2dParams.of(1, 1), true),
                new Case("3x2 stride (2,1) pad 1 dilation (1,2)", 1, 2, 6, 7, 2, 3, 2, new Conv2dParams(2, 1, 1, 1, 1, 2), false),
                new Case("1x1 stride 2", 2, 3, 5, 4, 2, 1, 1, Conv2dParams.of(2, 0), false));
        for (Case t : small) {
            double[] x = TestData.uniform(21, RefArrays.numel(t.x()));
            double[] w = TestData.uniform(22, RefArrays.numel(t.wt()));
            double[] gy = TestData.uniform(23, RefArrays.numel(t.y()));
            double[] dxFd = FiniteDifferences.gradient(
                    xs -> FiniteDifferences.dot(gy, ConvRef.forward(xs, t.x(), w, t.wt(), null, t.p())), x, 1e-6);
            double[] dwFd = FiniteDifferences.gradient(
                    ws -> FiniteDifferences.dot(gy, ConvRef.forward(x, t.x(), ws, t.wt(), null, t.p())), w, 1e-6);
            Compare.assertClose("ConvRef.backwardData vs finite differences, " + t, dxFd,
                    ConvRef.backwardData(gy, w, t.wt(), t.x(), t.p()), t.x(), 1e-7, 1e-6);
            Compare.assertClose("ConvRef.backwardWeights vs finite differences, " + t, dwFd,
                    ConvRef.backwardWeights(x, t.x(), gy, t.wt(), t.p()), t.wt(), 1e-7, 1e-6);
        }
    }

    @Test
    void resultsDoNotDependOnThreadCount() {
        Case t = new Case("8 channels, 70x60", 2, 8, 70, 60, 4, 3, 3, Conv2dParams.of(1, 1), true);
        Case u = new Case("1x1", 3, 6, 30, 20, 5, 1, 1, Conv2dParams.of(1, 0), false);
        Supplier<NDArray[]> run = () -> new NDArray[] {
                cpu.conv2d(TestData.array(31, t.x()), TestData.array(32, t.wt()), TestData.array(33, t.f()), t.p()),
                cpu.conv2dBackwardData(TestData.array(34, t.y()), TestData.array(32, t.wt()), t.x(), t.p()),
                cpu.conv2dBackwardWeights(TestData.array(31, t.x()), TestData.array(34, t.y()), t.wt(), t.p()),
                cpu.conv2dBackwardWeights(TestData.array(35, u.x()), TestData.array(36, u.y()), u.wt(), u.p()),
        };
        Compare.assertThreadCountIndependent("result", run);
    }

    @Test
    void badInputThrowsNamingShapes() {
        Conv2dParams p = Conv2dParams.of(1, 1);
        NDArray x = NDArrays.zeros(1, 3, 5, 5);
        NDArray w = NDArrays.zeros(4, 3, 3, 3);
        expectMessage(() -> cpu.conv2d(NDArrays.zeros(3, 5, 5), w, null, p), "conv2d", "[3, 5, 5]");
        expectMessage(() -> cpu.conv2d(x, NDArrays.zeros(4, 2, 3, 3), null, p), "conv2d", "[1, 3, 5, 5]", "[4, 2, 3, 3]");
        expectMessage(() -> cpu.conv2d(x, NDArrays.zeros(4, 3, 9, 3), null, p), "conv2d", "larger", "[4, 3, 9, 3]");
        expectMessage(() -> cpu.conv2d(x, w, NDArrays.zeros(3), p), "conv2d", "bias", "[3]");
        expectMessage(() -> cpu.conv2dBackwardData(NDArrays.zeros(1, 4, 4, 5), w, new int[] {1, 3, 5, 5}, p),
                "conv2dBackwardData", "[1, 4, 4, 5]", "[1, 4, 5, 5]");
        expectMessage(() -> cpu.conv2dBackwardWeights(x, NDArrays.zeros(1, 4, 5, 5), new int[] {4, 3, 3}, p),
                "conv2dBackwardWeights", "[4, 3, 3]");
        expectMessage(() -> cpu.conv2dBackwardWeights(x, NDArrays.zeros(1, 5, 5, 5), new int[] {4, 3, 3, 3}, p),
                "conv2dBackwardWeights", "[1, 5, 5, 5]");
        assertThrows(IllegalArgumentException.class, () -> Conv2dParams.of(0, 1));
    }

    private static void expectMessage(Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should mention " + part);
        }
    }
}
