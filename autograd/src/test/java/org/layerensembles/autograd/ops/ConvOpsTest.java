package org.layerensembles.autograd.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.layerensembles.core.testing.DoubleArrays.tanh;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.GradCheck;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.reference.ConvRef;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * conv2d and convTranspose2d against {@link ConvRef}: forward and finite-difference gradients
 * through {@link GradCheck}, and the backward against ConvRef's analytic gradients.
 *
 * <p>The transposed convolution's twin is ConvRef.backwardData run forwards (plus bias); for
 * kernel 2 stride 2 it is also checked against a direct block-expansion loop written here,
 * y[n, co, 2i + a, 2j + b] = bias[co] + sum over ci of x[n, ci, i, j] * w[ci, co, a, b].
 *
 * <p>Tolerances: |diff| <= 1e-5 + 1e-4 * |expected| throughout (GradCheck's default). Inputs are
 * in [-1, 1) and the sums have at most a few dozen terms, so float32 accumulation errors stay
 * near 1e-6; finite differences (h = 1e-6, double) add about 1e-9.
 */
class ConvOpsTest {
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;

    // ---- conv2d

    @Test
    void conv2dPadded() {
        int[] xs = {2, 3, 5, 5};
        int[] ws = {4, 3, 3, 3};
        Conv2dParams p = Conv2dParams.of(1, 1);
        GradCheck.of("conv2d 3x3 pad 1", t -> ConvOps.conv2d(t[0], t[1], t[2], p),
                v -> ConvRef.forward(v[0], xs, v[1], ws, v[2], p))
                .run(TestData.array(1, xs), TestData.array(2, ws), TestData.array(3, 4));
    }

    @Test
    void conv2dStridedDilatedOnViews() {
        // Stride 2 on 6x7 leaves the last row/column unread: their gradient must be zero.
        int[] xs = {2, 2, 6, 7};
        int[] ws = {3, 2, 2, 3};
        Conv2dParams p = new Conv2dParams(2, 2, 1, 0, 2, 1);
        GradCheck.of("conv2d strided dilated views", t -> ConvOps.conv2d(t[0], t[1], t[2], p),
                v -> ConvRef.forward(v[0], xs, v[1], ws, v[2], p))
                .run(TestData.nonContiguous(4, xs), TestData.nonContiguous(5, ws), TestData.nonContiguous(6, 3));
    }

    @Test
    void conv2dWithoutBias() {
        int[] xs = {1, 3, 4, 4};
        int[] ws = {2, 3, 1, 1};
        Conv2dParams p = Conv2dParams.of(1, 0);
        GradCheck.of("conv2d 1x1 no bias", t -> ConvOps.conv2d(t[0], t[1], null, p),
                v -> ConvRef.forward(v[0], xs, v[1], ws, null, p))
                .run(TestData.array(7, xs), TestData.array(8, ws));
    }

    @Test
    void conv2dBackwardMatchesAnalyticGradients() {
        int[] xs = {2, 3, 7, 6};
        int[] ws = {4, 3, 3, 3};
        Conv2dParams p = Conv2dParams.of(2, 1);
        Tensor x = Tensor.parameter(TestData.array(10, xs));
        Tensor w = Tensor.parameter(TestData.array(11, ws));
        Tensor b = Tensor.parameter(TestData.array(12, 4));
        Tensor y = ConvOps.conv2d(x, w, b, p);
        NDArray gy = TestData.array(13, y.shape());
        y.backward(gy);
        double[] g = RefArrays.doubles(gy);
        Compare.assertClose("conv2d dx", ConvRef.backwardData(g, doubles(w), ws, xs, p), x.grad(), ATOL, RTOL);
        Compare.assertClose("conv2d dw", ConvRef.backwardWeights(doubles(x), xs, g, ws, p), w.grad(), ATOL, RTOL);
        Compare.assertClose("conv2d dbias", sumOverNHW(g, y.shape()), b.grad(), ATOL, RTOL);
    }

    @Test
    void conv2dSkipsTheGradientOfAnImage() {
        int[] xs = {1, 2, 5, 5};
        int[] ws = {3, 2, 3, 3};
        Conv2dParams p = Conv2dParams.of(1, 1);
        Map<String, Integer> calls = new HashMap<>();
        Tensor x = Tensor.constant(TestData.array(20, xs));
        Tensor w = Tensor.parameter(TestData.array(21, ws));
        Tensor y;
        Backend saved = Autograd.backend();
        Autograd.useBackend(counting(saved, calls));
        try {
            y = ConvOps.conv2d(x, w, null, p);
            y.backward(TestData.array(22, y.shape()));
        } finally {
            Autograd.useBackend(saved);
        }
        assertNull(x.grad());
        assertNotNull(w.grad());
        assertEquals(1, calls.getOrDefault("conv2dBackwardWeights", 0));
        assertEquals(0, calls.getOrDefault("conv2dBackwardData", 0), "the image's gradient was computed");
        // The same skip through the generic GradCheck path: only the weight is checked.
        GradCheck.of("conv2d constant image", t -> ConvOps.conv2d(t[0], t[1], null, p),
                v -> ConvRef.forward(v[0], xs, v[1], ws, null, p))
                .run(new NDArray[] {TestData.array(20, xs), TestData.array(21, ws)}, new boolean[] {false, true});
    }

    @Test
    void eachGradientFollowsItsFlag() {
        // Frozen weights with a trained bias, a frozen bias, an input-only gradient: each of the
        // rule's outputs is computed from its own flag.
        int[] xs = {1, 2, 4, 4};
        int[] ws = {2, 2, 2, 2};
        Conv2dParams p = Conv2dParams.of(2, 0);
        int[] ys = ConvOps.convTranspose2dShape(xs, ws, p, 0, 0);
        NDArray[] inputs = {TestData.array(25, xs), TestData.array(26, ws), TestData.array(27, 2)};
        for (boolean[] flags : new boolean[][] {{false, false, true}, {true, true, false}, {true, false, false}}) {
            GradCheck.of("conv2d " + java.util.Arrays.toString(flags), t -> ConvOps.conv2d(t[0], t[1], t[2], p),
                    v -> ConvRef.forward(v[0], xs, v[1], ws, v[2], p)).run(inputs, flags);
            GradCheck.of("convTranspose2d " + java.util.Arrays.toString(flags),
                    t -> ConvOps.convTranspose2d(t[0], t[1], t[2], p),
                    v -> transposedTwin(v[0], xs, v[1], ws, v[2], ys, p)).run(inputs, flags);
        }
    }

    @Test
    void conv2dWeightUsedTwiceAccumulates() {
        // z = conv(conv(x, w, b), w, b): w and b each receive the gradients of both uses.
        int[] xs = {1, 3, 5, 5};
        int[] ws = {3, 3, 3, 3};
        Conv2dParams p = Conv2dParams.of(1, 1);
        GradCheck.of("conv2d twice", t -> ConvOps.conv2d(ConvOps.conv2d(t[0], t[1], t[2], p), t[1], t[2], p),
                v -> ConvRef.forward(ConvRef.forward(v[0], xs, v[1], ws, v[2], p), xs, v[1], ws, v[2], p))
                .run(TestData.array(30, xs), TestData.array(31, ws), TestData.array(32, 3));
    }

    // ---- convTranspose2d

    @Test
    void convTranspose2dShapeFormula() {
        Conv2dParams k2s2 = Conv2dParams.of(2, 0);
        assertArrayEquals(new int[] {2, 5, 8, 6},
                ConvOps.convTranspose2dShape(new int[] {2, 3, 4, 3}, new int[] {3, 5, 2, 2}, k2s2, 0, 0));
        // (H-1)*s - 2p + d*(k-1) + outputPad + 1 = 4*2 - 2 + 2 + 1 + 1 = 10 (H = 5); W: 2*2 - 2 + 2 + 0 + 1 = 5.
        Conv2dParams k3s2p1 = Conv2dParams.of(2, 1);
        assertArrayEquals(new int[] {1, 2, 10, 5},
                ConvOps.convTranspose2dShape(new int[] {1, 4, 5, 3}, new int[] {4, 2, 3, 3}, k3s2p1, 1, 0));
        assertThrows(IllegalArgumentException.class,
                () -> ConvOps.convTranspose2dShape(new int[] {1, 4, 5, 3}, new int[] {4, 2, 3, 3}, k3s2p1, 2, 0));
        assertThrows(IllegalArgumentException.class,
                () -> ConvOps.convTranspose2dShape(new int[] {1, 3, 5, 3}, new int[] {4, 2, 3, 3}, k3s2p1, 0, 0));
    }

    @Test
    void convTranspose2dKernel2Stride2() {
        int[] xs = {2, 3, 3, 4};
        int[] ws = {3, 2, 2, 2};
        Conv2dParams p = Conv2dParams.of(2, 0);
        int[] ys = ConvOps.convTranspose2dShape(xs, ws, p, 0, 0);
        assertArrayEquals(new int[] {2, 2, 6, 8}, ys);
        GradCheck.of("convTranspose2d k2 s2", t -> ConvOps.convTranspose2d(t[0], t[1], t[2], p),
                v -> transposedTwin(v[0], xs, v[1], ws, v[2], ys, p))
                .run(TestData.array(40, xs), TestData.array(41, ws), TestData.array(42, 2));
        // The twin itself against the block expansion that kernel 2 stride 2 is.
        double[] x = TestData.uniform(40, RefArrays.numel(xs));
        double[] w = TestData.uniform(41, RefArrays.numel(ws));
        double[] b = TestData.uniform(42, 2);
        Compare.assertClose("transposed twin vs block expansion", blockExpansion(x, xs, w, ws, b),
                transposedTwin(x, xs, w, ws, b, ys, p), ys, 1e-12, 0);
    }

    @Test
    void convTranspose2dPaddedWithOutputPaddingOnViews() {
        int[] xs = {1, 3, 4, 3};
        int[] ws = {3, 2, 3, 3};
        Conv2dParams p = Conv2dParams.of(2, 1);
        int[] ys = ConvOps.convTranspose2dShape(xs, ws, p, 1, 0);
        GradCheck.of("convTranspose2d k3 s2 p1 outpad 1", t -> ConvOps.convTranspose2d(t[0], t[1], t[2], p, 1, 0),
                v -> transposedTwin(v[0], xs, v[1], ws, v[2], ys, p))
                .run(TestData.nonContiguous(43, xs), TestData.nonContiguous(44, ws), TestData.nonContiguous(45, 2));
        GradCheck.of("convTranspose2d dilated no bias", t -> ConvOps.convTranspose2d(t[0], t[1], null,
                        new Conv2dParams(1, 2, 0, 1, 2, 1), 0, 1),
                v -> transposedTwin(v[0], xs, v[1], ws, null,
                        ConvOps.convTranspose2dShape(xs, ws, new Conv2dParams(1, 2, 0, 1, 2, 1), 0, 1),
                        new Conv2dParams(1, 2, 0, 1, 2, 1)))
                .run(TestData.array(46, xs), TestData.array(47, ws));
    }

    @Test
    void convTranspose2dBackwardMatchesAnalyticGradients() {
        // dx = conv2d(g, w), dw = backwardWeights with g as the convolution's input and x as its output gradient.
        int[] xs = {2, 4, 3, 3};
        int[] ws = {4, 3, 2, 2};
        Conv2dParams p = Conv2dParams.of(2, 0);
        Tensor x = Tensor.parameter(TestData.array(50, xs));
        Tensor w = Tensor.parameter(TestData.array(51, ws));
        Tensor b = Tensor.parameter(TestData.array(52, 3));
        Tensor y = ConvOps.convTranspose2d(x, w, b, p);
        int[] ys = y.shape();
        NDArray gy = TestData.array(53, ys);
        y.backward(gy);
        double[] g = RefArrays.doubles(gy);
        Compare.assertClose("convTranspose2d dx", ConvRef.forward(g, ys, doubles(w), ws, null, p), x.grad(), ATOL, RTOL);
        Compare.assertClose("convTranspose2d dw", ConvRef.backwardWeights(g, ys, doubles(x), ws, p), w.grad(), ATOL, RTOL);
        Compare.assertClose("convTranspose2d dbias", sumOverNHW(g, ys), b.grad(), ATOL, RTOL);
    }

    @Test
    void chainConvTanhConvTranspose() {
        // A U-Net step: conv 3x3 -> tanh -> up-convolution 2x2 stride 2; every parameter checked.
        int[] xs = {1, 2, 4, 4};
        int[] w1s = {3, 2, 3, 3};
        int[] w2s = {3, 2, 2, 2};
        Conv2dParams same = Conv2dParams.of(1, 1);
        Conv2dParams up = Conv2dParams.of(2, 0);
        int[] hs = {1, 3, 4, 4};
        int[] ys = ConvOps.convTranspose2dShape(hs, w2s, up, 0, 0);
        GradCheck.of("conv -> tanh -> convTranspose",
                t -> ConvOps.convTranspose2d(ElementwiseOps.tanh(ConvOps.conv2d(t[0], t[1], t[2], same)), t[3], t[4], up),
                v -> transposedTwin(tanh(ConvRef.forward(v[0], xs, v[1], w1s, v[2], same)), hs, v[3], w2s, v[4], ys, up))
                .run(TestData.array(60, xs), TestData.array(61, w1s), TestData.array(62, 3), TestData.array(63, w2s),
                        TestData.array(64, 2));
    }

    // ---- twins and helpers

    /**
     * The transposed convolution in double: ConvRef's backward-data of the convolution from
     * [N, Cout, OH, OW] to [N, Cin, H, W] (weight [Cin, Cout, KH, KW] read as [F, C, KH, KW]),
     * applied to x as if it were that convolution's output gradient, plus bias.
     */
    static double[] transposedTwin(double[] x, int[] xs, double[] w, int[] ws, double[] bias, int[] ys, Conv2dParams p) {
        double[] y = ConvRef.backwardData(x, w, ws, ys, p);
        if (bias != null) {
            int plane = ys[2] * ys[3];
            for (int i = 0; i < y.length; i++) {
                y[i] += bias[(i / plane) % ys[1]];
            }
        }
        return y;
    }

    /** Kernel 2, stride 2, no padding: every input pixel becomes a 2x2 block of the output. */
    private static double[] blockExpansion(double[] x, int[] xs, double[] w, int[] ws, double[] bias) {
        int cin = xs[1];
        int cout = ws[1];
        int[] ys = {xs[0], cout, 2 * xs[2], 2 * xs[3]};
        double[] y = new double[RefArrays.numel(ys)];
        for (int n = 0; n < xs[0]; n++) {
            for (int co = 0; co < cout; co++) {
                for (int i = 0; i < xs[2]; i++) {
                    for (int j = 0; j < xs[3]; j++) {
                        for (int a = 0; a < 2; a++) {
                            for (int b = 0; b < 2; b++) {
                                double s = bias[co];
                                for (int ci = 0; ci < cin; ci++) {
                                    s += x[RefArrays.flat(xs, n, ci, i, j)] * w[RefArrays.flat(ws, ci, co, a, b)];
                                }
                                y[RefArrays.flat(ys, n, co, 2 * i + a, 2 * j + b)] = s;
                            }
                        }
                    }
                }
            }
        }
        return y;
    }

    static double[] sumOverNHW(double[] g, int[] shape) {
        double[] s = new double[shape[1]];
        int plane = shape[2] * shape[3];
        for (int i = 0; i < g.length; i++) {
            s[(i / plane) % shape[1]] += g[i];
        }
        return s;
    }

    private static double[] doubles(Tensor t) {
        return RefArrays.doubles(t.data());
    }

    /** A backend that counts the calls of each primitive before passing them on. */
    private static Backend counting(Backend inner, Map<String, Integer> calls) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    calls.merge(method.getName(), 1, Integer::sum);
                    try {
                        return method.invoke(inner, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
