package org.layerensembles.autograd.nn.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layerensembles.core.testing.Nd4jInterop.doubles;
import static org.layerensembles.core.testing.Nd4jInterop.nd4j;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.init.Init;
import org.layerensembles.autograd.ops.ReductionOps;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.core.reference.ConvRef;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;
import org.nd4j.enums.WeightsFormat;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Conv2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Conv2d layer: forward against ND4J's Conv2D op (weights OIYX = PyTorch's [F, C, KH, KW],
 * data NCHW, explicit padding; helpers off for dilation, which ND4J's oneDNN path rejects) and
 * against {@link ConvRef}; gradients of the input, {@code weight} and {@code bias} against
 * finite differences of ConvRef and against its analytic gradients; PyTorch's default
 * initialisation (bounds and moments of U(-1/sqrt(fan_in), 1/sqrt(fan_in))); parameter names and
 * memory scope.
 *
 * <p>Tolerances: vs ND4J atol 1e-5 * sqrt(K) + rtol 1e-5 (K = C*KH*KW terms summed in different
 * orders in float32); vs the twin and finite differences 1e-5 + 1e-4 relative (inputs in [-1, 1),
 * at most a few dozen terms). Init statistics: see {@link #defaultInitIsPyTorchs}.
 */
class Conv2dTest {

    // ---- forward vs ND4J

    @Test
    void forwardMatchesNd4jConv2D() {
        record Case(int n, int c, int h, int w, Conv2d layer) {
        }
        SeededRandom rng = new SeededRandom(1);
        List<Case> cases = List.of(
                new Case(2, 3, 9, 11, new Conv2d(3, 4, 3, 1, 1, rng)),                       // 3x3 pad 1
                new Case(2, 4, 8, 9, new Conv2d(4, 5, 3, 2, 1, rng)),                        // stride 2
                new Case(1, 3, 10, 9, new Conv2d(3, 2, 3, 1, 2, 2, true, rng)),              // dilation 2
                new Case(2, 5, 6, 7, new Conv2d(5, 3, 1, 1, 0, 1, false, rng)),              // 1x1, no bias
                new Case(1, 2, 7, 12, new Conv2d(2, 3, 2, 4, new Conv2dParams(1, 3, 0, 2, 2, 1), true, rng)),
                new Case(1, 16, 12, 12, new Conv2d(16, 8, 3, 1, 1, rng)));                   // more channels
        long seed = 10;
        for (Case k : cases) {
            Conv2d conv = k.layer();
            NDArray x = TestData.array(seed++, k.n(), k.c(), k.h(), k.w());
            Tensor y = conv.forward(Tensor.constant(x));
            int[] ws = conv.weight().shape();
            Conv2dParams p = conv.params();
            Conv2DConfig config = Conv2DConfig.builder().kH(ws[2]).kW(ws[3]).sH(p.strideH()).sW(p.strideW())
                    .pH(p.padH()).pW(p.padW()).dH(p.dilationH()).dW(p.dilationW())
                    .dataFormat(Conv2DConfig.NCHW).weightsFormat(WeightsFormat.OIYX).build();
            INDArray[] inputs = conv.bias() == null
                    ? new INDArray[] {nd4j(x), nd4j(conv.weight().data())}
                    : new INDArray[] {nd4j(x), nd4j(conv.weight().data()), nd4j(conv.bias().data())};
            INDArray out = Nd4j.create(DataType.FLOAT, Arrays.stream(y.shape()).asLongStream().toArray());
            boolean dilated = p.dilationH() != 1 || p.dilationW() != 1;
            Nd4j.getEnvironment().allowHelpers(!dilated);
            try {
                Nd4j.exec(new Conv2D(inputs, new INDArray[] {out}, config));
            } finally {
                Nd4j.getEnvironment().allowHelpers(true);
            }
            double k2 = ws[1] * ws[2] * ws[3];
            Compare.assertClose(conv + " vs ND4J Conv2D", doubles(out), y.data(), 1e-5 * Math.sqrt(k2), 1e-5);
        }
    }

    // ---- gradients

    @Test
    void gradientsMatchFiniteDifferencesOfTheTwin() {
        SeededRandom rng = new SeededRandom(2);
        int[] xs = {2, 3, 5, 5};
        Conv2d padded = new Conv2d(3, 4, 3, 1, 1, rng);
        LayerGradCheck.of("Conv2d 3x3 pad 1", padded,
                v -> ConvRef.forward(v[0], xs, v[1], padded.weight().shape(), v[2], padded.params()))
                .run(TestData.array(20, xs), true);

        int[] ys = {1, 2, 7, 6};
        Conv2d strided = new Conv2d(2, 3, 3, 2, 2, 2, true, rng);
        LayerGradCheck.of("Conv2d stride 2 pad 2 dilation 2", strided,
                v -> ConvRef.forward(v[0], ys, v[1], strided.weight().shape(), v[2], strided.params()))
                .run(TestData.nonContiguous(21, ys), true);

        Conv2d noBias = new Conv2d(3, 2, 1, 1, 0, 1, false, rng);
        LayerGradCheck.of("Conv2d 1x1 no bias, constant input", noBias,
                v -> ConvRef.forward(v[0], xs, v[1], noBias.weight().shape(), null, noBias.params()))
                .run(TestData.array(22, xs), false);
    }

    @Test
    void gradientsMatchTheTwinsAnalyticGradients() {
        int[] xs = {2, 3, 7, 6};
        Conv2d conv = new Conv2d(3, 4, 3, 2, 1, new SeededRandom(3));
        Tensor x = Tensor.parameter(TestData.array(30, xs));
        Tensor y = conv.forward(x);
        NDArray gy = TestData.array(31, y.shape());
        y.backward(gy);
        double[] g = RefArrays.doubles(gy);
        int[] ws = conv.weight().shape();
        Compare.assertClose("dx", ConvRef.backwardData(g, RefArrays.doubles(conv.weight().data()), ws, xs, conv.params()),
                x.grad(), 1e-5, 1e-4);
        Compare.assertClose("d weight", ConvRef.backwardWeights(RefArrays.doubles(x.data()), xs, g, ws, conv.params()),
                conv.weight().grad(), 1e-5, 1e-4);
        double[] db = new double[4];
        int plane = y.size(2) * y.size(3);
        for (int i = 0; i < g.length; i++) {
            db[(i / plane) % 4] += g[i];
        }
        Compare.assertClose("d bias", db, conv.bias().grad(), 1e-5, 1e-4);
    }

    // ---- initialisation

    /**
     * Conv2d(64, 128, 3): fan_in = 576, bound = 1/24. Weights (n = 73,728): all within the bound,
     * extremes within 1% of it, mean within 5 standard errors of 0, variance bound^2/3 within 2%
     * (relative standard error of a uniform's sample variance sqrt(0.8/n) = 0.33%). Bias (n = 128):
     * within the bound, and mean |b| = bound/2 within 20% (4 standard errors).
     */
    @Test
    void defaultInitIsPyTorchs() {
        Conv2d conv = new Conv2d(64, 128, 3, 1, 1, new SeededRandom(4));
        double bound = 1 / Math.sqrt(64 * 9);
        float[] w = conv.weight().data().toFloatArray();
        double max = 0;
        double sum = 0;
        for (float v : w) {
            assertTrue(Math.abs(v) <= bound, "weight " + v + " outside +-" + bound);
            max = Math.max(max, Math.abs(v));
            sum += v;
        }
        assertTrue(max > 0.99 * bound, "largest |weight| " + max + " not near the bound " + bound);
        double mean = sum / w.length;
        double sq = 0;
        for (float v : w) {
            sq += (v - mean) * (v - mean);
        }
        double variance = sq / (w.length - 1);
        double expectedVar = bound * bound / 3;
        assertTrue(Math.abs(mean) < 5 * Math.sqrt(expectedVar / w.length), "weight mean " + mean);
        assertTrue(Math.abs(variance / expectedVar - 1) < 0.02, "weight variance " + variance + " vs " + expectedVar);

        float[] b = conv.bias().data().toFloatArray();
        double absSum = 0;
        for (float v : b) {
            assertTrue(Math.abs(v) <= bound, "bias " + v + " outside +-" + bound);
            absSum += Math.abs(v);
        }
        assertEquals(bound / 2, absSum / b.length, 0.2 * bound / 2, "mean |bias|");
    }

    @Test
    void sameSeedSameWeightsWeightDrawnBeforeBias() {
        Conv2d a = new Conv2d(3, 8, 3, 1, 1, new SeededRandom(5));
        Conv2d b = new Conv2d(3, 8, 3, 1, 1, new SeededRandom(5));
        Compare.assertIdentical("weight", a.weight().data(), b.weight().data());
        Compare.assertIdentical("bias", a.bias().data(), b.bias().data());
        Conv2d c = new Conv2d(3, 8, 3, 1, 1, new SeededRandom(6));
        assertFalse(Arrays.equals(a.weight().data().toFloatArray(), c.weight().data().toFloatArray()));
        // The same draws through Init, in the documented order: weight (kaiming a = sqrt(5)), then bias.
        SeededRandom rng = new SeededRandom(5);
        NDArray w = Init.kaimingUniform(NDArrays.empty(DType.FLOAT32, 8, 3, 3, 3), Math.sqrt(5), Init.FanMode.FAN_IN,
                Init.Nonlinearity.LEAKY_RELU, rng);
        NDArray bias = Init.uniform(NDArrays.empty(DType.FLOAT32, 8), -1 / Math.sqrt(27), 1 / Math.sqrt(27), rng);
        Compare.assertIdentical("weight via Init", w, a.weight().data());
        Compare.assertIdentical("bias via Init", bias, a.bias().data());
    }

    // ---- names, shapes, memory

    @Test
    void parametersAreNamedAndShapedAsPyTorchs() {
        Conv2d conv = new Conv2d(3, 8, 5, 2, 2, new SeededRandom(7));
        assertEquals(List.of("weight", "bias"), List.copyOf(conv.namedParameters().keySet()));
        assertArrayEquals(new int[] {8, 3, 5, 5}, conv.weight().shape());
        assertArrayEquals(new int[] {8}, conv.bias().shape());
        assertSame(conv.weight(), conv.namedParameters().get("weight"));
        assertEquals(List.of("weight", "bias"), List.copyOf(conv.stateDict().names()));
        Conv2d noBias = new Conv2d(3, 8, 3, 1, 1, 1, false, new SeededRandom(7));
        assertEquals(List.of("weight"), List.copyOf(noBias.namedParameters().keySet()));
        assertNull(noBias.bias());
        assertArrayEquals(new int[] {2, 8, 4, 5}, conv.forward(Tensor.constant(TestData.array(8, 2, 3, 8, 9))).shape());
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(0, 8, 3, 1, 1, new SeededRandom(7)));
    }

    @Test
    void parametersLiveInTheScopeCurrentAtConstruction() {
        MemoryScope params = MemoryScope.longLived("params");
        Conv2d conv;
        try (MemoryScope.Activation ignored = params.activate()) {
            conv = new Conv2d(2, 3, 3, 1, 1, new SeededRandom(9));
        }
        assertSame(params, conv.weight().data().allocation().owner());
        assertSame(params, conv.bias().data().allocation().owner());
        try (MemoryScope step = MemoryScope.open()) {
            Tensor y = conv.forward(Tensor.constant(TestData.array(10, 1, 2, 4, 4)));
            assertSame(step, y.data().allocation().owner());
            ReductionOps.sum(y).backward();
        }
        assertTrue(conv.weight().grad().isAlive(), "the gradient lives beside the parameter");
        params.close();
        assertFalse(conv.weight().data().isAlive());
    }
}
