package org.layerensembles.core.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.reference.ConvRef;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.Nd4jInterop;
import org.layerensembles.core.testing.TestData;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Conv2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The direct 3x3 convolution (stride 1, padding 1: DirectConv3x3, DirectConv3x3WeightGrad)
 * against the double-precision ConvRef and against ND4J's conv2d and conv2d_bp ops, on odd
 * sizes (planes that are not whole vectors or tiles, 1 input channel, 1x1 and 2x3 images,
 * output channels that are not whole tiles), bias, non-contiguous inputs, several position
 * blocks and chunks per image, and 1 vs 2 threads.
 *
 * <p>The direct classes are called themselves (so they are tested on machines whose backend
 * routes elsewhere), and through CpuBackend for routing and strided inputs.
 *
 * <p>Tolerance against ConvRef, per element: |ours - exact| &lt;= 4 sqrt(K) u S, with S the
 * sum of |terms| of that element (ConvRef run on |inputs|), K the number of terms and
 * u = 2^-24 (a float32 sum of K terms, in any fixed order, errs by about sqrt(K) u S; 4x
 * margin). Against ND4J: atol 1e-5 sqrt(K), rtol 1e-5 (two float32 sums in different orders).
 */
class DirectConv3x3Test {
    private static final Conv2dParams SAME = Conv2dParams.of(1, 1);
    private static final double U = Math.ulp(1.0f) / 2;
    private final Backend cpu = new CpuBackend();

    /** Input [n, c, h, w], weight [f, c, 3, 3]. */
    record Case(int n, int c, int h, int w, int f) {
        int[] x() {
            return new int[] {n, c, h, w};
        }

        int[] wt() {
            return new int[] {f, c, 3, 3};
        }

        int[] y() {
            return new int[] {n, f, h, w};
        }

        ConvGeometry geometry() {
            return ConvGeometry.of(x(), wt(), y(), SAME);
        }

        @Override
        public String toString() {
            return "N=" + n + " C=" + c + " " + h + "x" + w + " F=" + f;
        }
    }

    /** Every size of each list appears, in varied combinations, plus multi-block and multi-chunk shapes. */
    static Stream<Case> cases() {
        int[] sides = {1, 2, 3, 5, 7, 13, 17, 31};
        int[] channels = {1, 3, 16, 17};
        int[] filters = {1, 2, 5, 16, 33};
        int[] batches = {1, 3};
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            cases.add(new Case(batches[i % 2], channels[i % 4], sides[i % 8], sides[(3 * i + 5) % 8], filters[i % 5]));
        }
        cases.add(new Case(1, 1, 1, 1, 1));
        cases.add(new Case(1, 1, 2, 3, 2));
        cases.add(new Case(3, 17, 31, 31, 33));
        // Forward: two position blocks per image, split mid-row; one image, so channel tiles split too.
        cases.add(new Case(1, 40, 45, 37, 9));
        // Backward weights: several blocks per image (4096 positions), and images grouped per chunk.
        cases.add(new Case(2, 5, 64, 64, 6));
        cases.add(new Case(3, 6, 47, 35, 7));
        cases.add(new Case(5, 9, 8, 8, 12));
        return cases.stream();
    }

    private static double[] abs(double[] d) {
        return Arrays.stream(d).map(Math::abs).toArray();
    }

    /** |actual - expected| <= 4 sqrt(k) u scale, element by element; reports the worst ones. */
    private static void assertWithin(String what, double[] expected, double[] scale, NDArray actual, long k) {
        float[] got = actual.toFloatArray();
        assertTrue(got.length == expected.length, what + ": " + got.length + " elements, expected " + expected.length);
        double factor = 4 * Math.sqrt(k) * U;
        StringBuilder bad = new StringBuilder();
        int count = 0;
        for (int i = 0; i < got.length; i++) {
            double err = Math.abs(got[i] - expected[i]);
            double tol = factor * scale[i] + Double.MIN_NORMAL;
            if (!(err <= tol)) {
                if (count++ < 8) {
                    bad.append(String.format("%n  [%d] got %s, expected %s, error %.3g > %.3g", i, got[i], expected[i], err, tol));
                }
            }
        }
        if (count > 0) {
            fail(what + ": " + count + " of " + got.length + " elements off" + bad);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardMatchesReference(Case t) {
        NDArray x = TestData.array(1, t.x());
        NDArray w = TestData.array(2, t.wt());
        NDArray b = TestData.array(3, t.f());
        double[] xd = RefArrays.doubles(x);
        double[] wd = RefArrays.doubles(w);
        double[] bd = RefArrays.doubles(b);
        assertWithin("forward with bias " + t, ConvRef.forward(xd, t.x(), wd, t.wt(), bd, SAME),
                ConvRef.forward(abs(xd), t.x(), abs(wd), t.wt(), abs(bd), SAME),
                DirectConv3x3.forward(x, w, b, t.geometry()), 9L * t.c() + 1);
        assertWithin("forward " + t, ConvRef.forward(xd, t.x(), wd, t.wt(), null, SAME),
                ConvRef.forward(abs(xd), t.x(), abs(wd), t.wt(), null, SAME),
                DirectConv3x3.forward(x, w, null, t.geometry()), 9L * t.c());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardDataMatchesReference(Case t) {
        NDArray gy = TestData.array(4, t.y());
        NDArray w = TestData.array(5, t.wt());
        double[] gd = RefArrays.doubles(gy);
        double[] wd = RefArrays.doubles(w);
        assertWithin("backward data " + t, ConvRef.backwardData(gd, wd, t.wt(), t.x(), SAME),
                ConvRef.backwardData(abs(gd), abs(wd), t.wt(), t.x(), SAME),
                DirectConv3x3.backwardData(gy, w, t.geometry()), 9L * t.f());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardWeightsMatchesReference(Case t) {
        NDArray x = TestData.array(6, t.x());
        NDArray gy = TestData.array(7, t.y());
        double[] xd = RefArrays.doubles(x);
        double[] gd = RefArrays.doubles(gy);
        assertWithin("backward weights " + t, ConvRef.backwardWeights(xd, t.x(), gd, t.wt(), SAME),
                ConvRef.backwardWeights(abs(xd), t.x(), abs(gd), t.wt(), SAME),
                DirectConv3x3WeightGrad.backwardWeights(x, gy, t.geometry()), (long) t.n() * t.h() * t.w());
    }

    /** Through the backend: strided inputs, bias, and the routing of 3x3 / stride 1 / padding 1. */
    @Test
    void backendRoutesStridedInputs() {
        Case t = new Case(3, 17, 13, 31, 33);
        NDArray x = TestData.nonContiguous(8, t.x());
        NDArray w = TestData.nonContiguous(9, t.wt());
        NDArray b = TestData.nonContiguous(10, t.f());
        NDArray gy = TestData.nonContiguous(11, t.y());
        double[] xd = RefArrays.doubles(x);
        double[] wd = RefArrays.doubles(w);
        double[] bd = RefArrays.doubles(b);
        double[] gd = RefArrays.doubles(gy);
        assertWithin("forward", ConvRef.forward(xd, t.x(), wd, t.wt(), bd, SAME),
                ConvRef.forward(abs(xd), t.x(), abs(wd), t.wt(), abs(bd), SAME), cpu.conv2d(x, w, b, SAME), 9L * t.c() + 1);
        assertWithin("backward data", ConvRef.backwardData(gd, wd, t.wt(), t.x(), SAME),
                ConvRef.backwardData(abs(gd), abs(wd), t.wt(), t.x(), SAME),
                cpu.conv2dBackwardData(gy, w, t.x(), SAME), 9L * t.f());
        assertWithin("backward weights", ConvRef.backwardWeights(xd, t.x(), gd, t.wt(), SAME),
                ConvRef.backwardWeights(abs(xd), t.x(), abs(gd), t.wt(), SAME),
                cpu.conv2dBackwardWeights(x, gy, t.wt(), SAME), (long) t.n() * t.h() * t.w());
    }

    /** ND4J's conv2d (forward) and conv2d_bp (both gradients), weights in our [F, C, KH, KW] layout. */
    @Test
    void matchesNd4j() {
        for (Case t : List.of(new Case(3, 17, 13, 31, 33), new Case(1, 1, 2, 3, 5), new Case(2, 16, 16, 16, 16),
                new Case(1, 3, 7, 5, 2))) {
            NDArray x = TestData.array(12, t.x());
            NDArray w = TestData.array(13, t.wt());
            NDArray b = TestData.array(14, t.f());
            NDArray gy = TestData.array(15, t.y());
            INDArray xn = Nd4jInterop.nd4j(x);
            INDArray wn = Nd4jInterop.nd4j(w);
            Conv2DConfig config = Conv2DConfig.builder().kH(3).kW(3).sH(1).sW(1).pH(1).pW(1).dH(1).dW(1)
                    .dataFormat(Conv2DConfig.NCHW).weightsFormat(org.nd4j.enums.WeightsFormat.OIYX).build();
            INDArray yn = Nd4j.create(DataType.FLOAT, longs(t.y()));
            Nd4j.exec(new Conv2D(new INDArray[] {xn, wn, Nd4jInterop.nd4j(b)}, new INDArray[] {yn}, config));
            INDArray dxn = Nd4j.create(DataType.FLOAT, longs(t.x()));
            INDArray dwn = Nd4j.create(DataType.FLOAT, longs(t.wt()));
            // conv2d_bp: kH, kW, sH, sW, pH, pW, dH, dW, same-mode 0, data format 0 (NCHW), weights format 1 (OIYX).
            Nd4j.exec(DynamicCustomOp.builder("conv2d_bp")
                    .addInputs(xn, wn, Nd4jInterop.nd4j(gy)).addOutputs(dxn, dwn)
                    .addIntegerArguments(3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 1).build());
            ConvGeometry g = t.geometry();
            Compare.assertClose("forward vs ND4J " + t, Nd4jInterop.doubles(yn), DirectConv3x3.forward(x, w, b, g),
                    1e-5 * Math.sqrt(9.0 * t.c()), 1e-5);
            Compare.assertClose("backward data vs ND4J " + t, Nd4jInterop.doubles(dxn),
                    DirectConv3x3.backwardData(gy, w, g), 1e-5 * Math.sqrt(9.0 * t.f()), 1e-5);
            Compare.assertClose("backward weights vs ND4J " + t, Nd4jInterop.doubles(dwn),
                    DirectConv3x3WeightGrad.backwardWeights(x, gy, g), 1e-5 * Math.sqrt((double) t.n() * t.h() * t.w()), 1e-5);
        }
    }

    private static long[] longs(int[] shape) {
        return Arrays.stream(shape).asLongStream().toArray();
    }

    @Test
    void resultsDoNotDependOnThreadCount() {
        List<Case> shapes = List.of(new Case(2, 5, 64, 64, 6), new Case(1, 40, 45, 37, 9), new Case(5, 9, 8, 8, 12),
                new Case(3, 6, 47, 35, 7));
        Compare.assertThreadCountIndependent("direct 3x3", () -> {
            List<NDArray> out = new ArrayList<>();
            for (Case t : shapes) {
                ConvGeometry g = t.geometry();
                out.add(DirectConv3x3.forward(TestData.array(21, t.x()), TestData.array(22, t.wt()),
                        TestData.array(23, t.f()), g));
                out.add(DirectConv3x3.backwardData(TestData.array(24, t.y()), TestData.array(22, t.wt()), g));
                out.add(DirectConv3x3WeightGrad.backwardWeights(TestData.array(21, t.x()), TestData.array(24, t.y()), g));
            }
            return out.toArray(NDArray[]::new);
        });
    }
}
