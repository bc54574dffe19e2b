package org.layerensembles.autograd.nn.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.reference.ConvRef;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.Nd4jInterop;
import org.layerensembles.core.testing.TestData;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.DeConv2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.DeConv2DConfig;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ConvTranspose2d layer: forward against ND4J's DeConv2D op (NCHW; its default weight layout
 * [KH, KW, Cout, Cin], into which PyTorch's [Cin, Cout, KH, KW] is permuted by dims 2, 3, 1, 0),
 * against a direct block-expansion loop for kernel 2 stride 2, and against the twin
 * (ConvRef.backwardData run forwards, plus bias); gradients of input, weight and bias against
 * finite differences of the twin; PyTorch's default init with fan_in = Cout*KH*KW.
 *
 * <p>Tolerances: vs ND4J atol 1e-5 * sqrt(K) + rtol 1e-5 (K = Cin*KH*KW terms); vs the twins
 * and finite differences 1e-5 + 1e-4 relative.
 */
class ConvTranspose2dTest {

    @Test
    void forwardMatchesNd4jDeConv2D() {
        SeededRandom rng = new SeededRandom(1);
        List<ConvTranspose2d> layers = List.of(
                ConvTranspose2d.upsampling(4, 3, 2, rng),                        // kernel 2 stride 2
                new ConvTranspose2d(3, 5, 3, 2, 1, 0, 1, true, rng),             // kernel 3 stride 2 pad 1
                new ConvTranspose2d(6, 2, 2, 2, 0, 0, 1, false, rng));           // no bias
        long seed = 10;
        for (ConvTranspose2d up : layers) {
            int[] ws = up.weight().shape();
            NDArray x = TestData.array(seed++, 2, ws[0], 5, 4);
            Tensor y = up.forward(Tensor.constant(x));
            Conv2dParams p = up.params();
            DeConv2DConfig config = DeConv2DConfig.builder().kH(ws[2]).kW(ws[3]).sH(p.strideH()).sW(p.strideW())
                    .pH(p.padH()).pW(p.padW()).dH(1).dW(1).isSameMode(false).dataFormat(DeConv2DConfig.NCHW).build();
            INDArray w = Nd4jInterop.nd4j(up.weight().data()).permute(2, 3, 1, 0).dup('c');
            INDArray out = up.bias() == null
                    ? Nd4j.exec(new DeConv2D(Nd4jInterop.nd4j(x), w, null, config))[0]
                    : Nd4j.exec(new DeConv2D(Nd4jInterop.nd4j(x), w, Nd4jInterop.nd4j(up.bias().data()), config))[0];
            assertArrayEquals(y.shape(), Arrays.stream(out.shape()).mapToInt(d -> (int) d).toArray(), up + " shape");
            Compare.assertClose(up + " vs ND4J DeConv2D", Nd4jInterop.doubles(out), y.data(),
                    1e-5 * Math.sqrt(ws[0] * ws[2] * ws[3]), 1e-5);
        }
    }

    @Test
    void kernel2Stride2IsABlockExpansion() {
        ConvTranspose2d up = ConvTranspose2d.upsampling(3, 2, 2, new SeededRandom(2));
        int[] xs = {2, 3, 3, 4};
        NDArray x = TestData.array(20, xs);
        Tensor y = up.forward(Tensor.constant(x));
        assertArrayEquals(new int[] {2, 2, 6, 8}, y.shape());
        double[] xv = RefArrays.doubles(x);
        double[] w = RefArrays.doubles(up.weight().data());
        double[] b = RefArrays.doubles(up.bias().data());
        int[] ws = up.weight().shape();
        int[] ys = y.shape();
        double[] expected = new double[RefArrays.numel(ys)];
        for (int n = 0; n < 2; n++) {
            for (int co = 0; co < 2; co++) {
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 4; j++) {
                        for (int a = 0; a < 2; a++) {
                            for (int c = 0; c < 2; c++) {
                                double s = b[co];
                                for (int ci = 0; ci < 3; ci++) {
                                    s += xv[RefArrays.flat(xs, n, ci, i, j)] * w[RefArrays.flat(ws, ci, co, a, c)];
                                }
                                expected[RefArrays.flat(ys, n, co, 2 * i + a, 2 * j + c)] = s;
                            }
                        }
                    }
                }
            }
        }
        Compare.assertClose("kernel 2 stride 2 vs block expansion", expected, y.data(), 1e-6, 1e-5);
    }

    @Test
    void gradientsMatchFiniteDifferencesOfTheTwin() {
        SeededRandom rng = new SeededRandom(3);
        ConvTranspose2d up = ConvTranspose2d.upsampling(3, 2, 2, rng);
        int[] xs = {2, 3, 3, 3};
        LayerGradCheck.of("ConvTranspose2d k2 s2", up, v -> twin(v[0], xs, v[1], up.weight().shape(), v[2], up))
                .run(TestData.array(30, xs), true);

        ConvTranspose2d padded = new ConvTranspose2d(2, 3, 3, 2, 1, 1, 1, true, rng);
        int[] ps = {1, 2, 3, 4};
        LayerGradCheck.of("ConvTranspose2d k3 s2 p1 output padding 1", padded,
                v -> twin(v[0], ps, v[1], padded.weight().shape(), v[2], padded))
                .run(TestData.nonContiguous(31, ps), true);

        ConvTranspose2d noBias = new ConvTranspose2d(2, 2, 2, 2, 0, 0, 1, false, rng);
        LayerGradCheck.of("ConvTranspose2d no bias, constant input", noBias,
                v -> twin(v[0], ps, v[1], noBias.weight().shape(), null, noBias))
                .run(TestData.array(32, ps), false);
    }

    /**
     * ConvTranspose2d(Cin = 8, Cout = 64, kernel 2): weight [8, 64, 2, 2] (n = 2048), fan_in =
     * Cout*4 = 256 (PyTorch's rule, dimension 1), so weight and bias lie in +-1/16. The rule
     * with Cin (fan_in 32) would give a bound 2.8x larger: the largest |weight| must come within
     * 2% of 1/16 (chance all 2048 draws stay below 0.98 bound: 0.98^2048 ~ 1e-18).
     */
    @Test
    void defaultInitUsesDimensionOneAsFanIn() {
        ConvTranspose2d up = new ConvTranspose2d(8, 64, 2, 2, 0, 0, 1, true, new SeededRandom(4));
        assertArrayEquals(new int[] {8, 64, 2, 2}, up.weight().shape());
        assertArrayEquals(new int[] {64}, up.bias().shape());
        double bound = 1.0 / 16;
        double max = 0;
        for (float v : up.weight().data().toFloatArray()) {
            assertTrue(Math.abs(v) <= bound, "weight " + v + " outside +-" + bound);
            max = Math.max(max, Math.abs(v));
        }
        assertTrue(max > 0.98 * bound, "largest |weight| " + max);
        for (float v : up.bias().data().toFloatArray()) {
            assertTrue(Math.abs(v) <= bound, "bias " + v + " outside +-" + bound);
        }
        ConvTranspose2d same = new ConvTranspose2d(8, 64, 2, 2, 0, 0, 1, true, new SeededRandom(4));
        Compare.assertIdentical("same seed, same weight", up.weight().data(), same.weight().data());
        Compare.assertIdentical("same seed, same bias", up.bias().data(), same.bias().data());
    }

    @Test
    void namesAndChecks() {
        ConvTranspose2d up = ConvTranspose2d.upsampling(4, 2, 2, new SeededRandom(5));
        assertEquals(List.of("weight", "bias"), List.copyOf(up.namedParameters().keySet()));
        assertThrows(IllegalArgumentException.class, () -> new ConvTranspose2d(4, 2, 2, 2, 0, 2, 1, true,
                new SeededRandom(5)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> up.forward(Tensor.constant(TestData.array(6, 1, 3, 4, 4))));
        assertTrue(e.getMessage().contains("channels"), e.getMessage());
    }

    /** ConvRef.backwardData of the convolution being transposed, applied to x, plus bias. */
    private static double[] twin(double[] x, int[] xs, double[] w, int[] ws, double[] bias, ConvTranspose2d layer) {
        Conv2dParams p = layer.params();
        int op = layer.outputPadding();
        int[] ys = {xs[0], ws[1], (xs[2] - 1) * p.strideH() - 2 * p.padH() + p.dilationH() * (ws[2] - 1) + op + 1,
                (xs[3] - 1) * p.strideW() - 2 * p.padW() + p.dilationW() * (ws[3] - 1) + op + 1};
        double[] y = ConvRef.backwardData(x, w, ws, ys, p);
        if (bias != null) {
            int plane = ys[2] * ys[3];
            for (int i = 0; i < y.length; i++) {
                y[i] += bias[(i / plane) % ys[1]];
            }
        }
        return y;
    }
}
