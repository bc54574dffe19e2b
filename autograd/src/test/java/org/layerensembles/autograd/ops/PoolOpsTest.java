package org.layerensembles.autograd.ops;

import static org.layerensembles.core.testing.DoubleArrays.add;
import static org.layerensembles.core.testing.DoubleArrays.tanh;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.GradCheck;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.Pool2dParams;
import org.layerensembles.core.reference.PoolRef;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * Pooling ops against {@link PoolRef}: forward and finite-difference gradients through
 * {@link GradCheck}, and the backward against PoolRef's analytic gradients.
 *
 * <p>Max pooling is checked on inputs without ties: distinct values at least 1/numel apart, far
 * more than the finite-difference step, so no perturbation changes a window's winner.
 *
 * <p>Tolerances: |diff| <= 1e-5 + 1e-4 * |expected| (GradCheck's default); pooling adds at
 * most kH*kW float32 values, so errors stay near 1e-7.
 */
class PoolOpsTest {
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;

    // ---- max pooling

    @Test
    void maxPool2x2() {
        int[] xs = {2, 3, 6, 6};
        Pool2dParams p = Pool2dParams.of(2, 2, 0);
        GradCheck.of("maxPool2d 2x2", t -> PoolOps.maxPool2d(t[0], p), v -> PoolRef.maxPool2d(v[0], xs, p).output())
                .run(distinct(1, xs, false));
    }

    @Test
    void maxPoolOverlappingPaddedOnView() {
        // Overlapping 3x3 windows, stride 2, padding 1, odd 7x5 planes: one input can win in several windows.
        int[] xs = {1, 2, 7, 5};
        Pool2dParams p = Pool2dParams.of(3, 2, 1);
        GradCheck.of("maxPool2d 3x3 s2 p1 view", t -> PoolOps.maxPool2d(t[0], p),
                v -> PoolRef.maxPool2d(v[0], xs, p).output())
                .run(distinct(2, xs, true));
        Pool2dParams rect = new Pool2dParams(2, 3, 1, 2, 1, 1, true);
        GradCheck.of("maxPool2d 2x3 s1x2 p1", t -> PoolOps.maxPool2d(t[0], rect),
                v -> PoolRef.maxPool2d(v[0], xs, rect).output())
                .run(distinct(3, xs, false));
    }

    @Test
    void maxPoolBackwardMatchesAnalyticGradient() {
        int[] xs = {2, 2, 7, 7};
        Pool2dParams p = Pool2dParams.of(3, 2, 1);
        Tensor x = Tensor.parameter(distinct(4, xs, false));
        Tensor y = PoolOps.maxPool2d(x, p);
        NDArray gy = TestData.array(5, y.shape());
        y.backward(gy);
        PoolRef.MaxPool ref = PoolRef.maxPool2d(RefArrays.doubles(x.data()), xs, p);
        Compare.assertClose("maxPool2d dx", PoolRef.maxPool2dBackward(RefArrays.doubles(gy), ref.indices(), ref.shape(), xs),
                x.grad(), ATOL, RTOL);
    }

    // ---- average pooling

    @Test
    void avgPool2x2() {
        int[] xs = {2, 3, 4, 6};
        Pool2dParams p = Pool2dParams.of(2, 2, 0);
        GradCheck.of("avgPool2d 2x2", t -> PoolOps.avgPool2d(t[0], p), v -> PoolRef.avgPool2d(v[0], xs, p))
                .run(TestData.array(10, xs));
    }

    @Test
    void avgPoolPaddedBothDivisorsOnView() {
        int[] xs = {1, 2, 7, 6};
        for (boolean countPad : new boolean[] {true, false}) {
            Pool2dParams p = new Pool2dParams(3, 3, 2, 2, 1, 1, countPad);
            GradCheck.of("avgPool2d 3x3 s2 p1 countIncludePad=" + countPad, t -> PoolOps.avgPool2d(t[0], p),
                    v -> PoolRef.avgPool2d(v[0], xs, p))
                    .run(TestData.nonContiguous(11, xs));
        }
    }

    @Test
    void avgPoolBackwardMatchesAnalyticGradient() {
        int[] xs = {2, 3, 5, 5};
        for (boolean countPad : new boolean[] {true, false}) {
            Pool2dParams p = new Pool2dParams(3, 2, 1, 2, 1, 1, countPad);
            Tensor x = Tensor.parameter(TestData.array(12, xs));
            Tensor y = PoolOps.avgPool2d(x, p);
            NDArray gy = TestData.array(13, y.shape());
            y.backward(gy);
            Compare.assertClose("avgPool2d dx countIncludePad=" + countPad,
                    PoolRef.avgPool2dBackward(RefArrays.doubles(gy), xs, p), x.grad(), ATOL, RTOL);
        }
    }

    // ---- global average pooling

    @Test
    void globalAvgPool() {
        int[] xs = {2, 3, 4, 5};
        GradCheck.of("globalAvgPool2d", t -> PoolOps.globalAvgPool2d(t[0]), v -> PoolRef.globalAvgPool2d(v[0], xs))
                .run(TestData.array(20, xs));
        GradCheck.of("globalAvgPool2d view", t -> PoolOps.globalAvgPool2d(t[0]), v -> PoolRef.globalAvgPool2d(v[0], xs))
                .run(TestData.nonContiguous(21, xs));
        Tensor x = Tensor.parameter(TestData.array(22, xs));
        Tensor y = PoolOps.globalAvgPool2d(x);
        NDArray gy = TestData.array(23, y.shape());
        y.backward(gy);
        Compare.assertClose("globalAvgPool2d dx", PoolRef.globalAvgPool2dBackward(RefArrays.doubles(gy), xs), x.grad(),
                ATOL, RTOL);
    }

    // ---- in graphs

    @Test
    void inputUsedByTwoPoolsAccumulates() {
        // y = maxPool(x) + avgPool(x): x's gradient is the sum of both routes.
        int[] xs = {1, 3, 6, 6};
        Pool2dParams p = Pool2dParams.of(2, 2, 0);
        GradCheck.of("maxPool + avgPool", t -> ElementwiseOps.add(PoolOps.maxPool2d(t[0], p), PoolOps.avgPool2d(t[0], p)),
                v -> add(PoolRef.maxPool2d(v[0], xs, p).output(), PoolRef.avgPool2d(v[0], xs, p)))
                .run(distinct(30, xs, false));
    }

    @Test
    void chainMaxPoolTanhAvgPoolGlobal() {
        int[] xs = {2, 2, 8, 8};
        int[] hs = {2, 2, 4, 4};
        int[] zs = {2, 2, 2, 2};
        Pool2dParams max = Pool2dParams.of(2, 2, 0);
        Pool2dParams avg = Pool2dParams.of(3, 2, 1);
        GradCheck.of("maxPool -> tanh -> avgPool -> globalAvgPool",
                t -> PoolOps.globalAvgPool2d(PoolOps.avgPool2d(ElementwiseOps.tanh(PoolOps.maxPool2d(t[0], max)), avg)),
                v -> PoolRef.globalAvgPool2d(PoolRef.avgPool2d(tanh(PoolRef.maxPool2d(v[0], xs, max).output()), hs, avg), zs))
                .run(distinct(31, xs, true));
    }

    // ---- helpers

    /**
     * Values (2k + 1)/numel - 1 for k = 0..numel-1 in a random order: distinct, in (-1, 1), spaced
     * 2/numel apart. As a transposed view when {@code view}.
     */
    private static NDArray distinct(long seed, int[] shape, boolean view) {
        int n = RefArrays.numel(shape);
        List<Double> values = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            values.add((2.0 * k + 1) / n - 1);
        }
        Collections.shuffle(values, new Random(seed));
        double[] d = values.stream().mapToDouble(Double::doubleValue).toArray();
        NDArray a = NDArrays.of(d, shape);
        if (!view) {
            return a;
        }
        int r = shape.length;
        int[] swapped = shape.clone();
        swapped[r - 1] = shape[r - 2];
        swapped[r - 2] = shape[r - 1];
        NDArray v = NDArrays.zeros(swapped).transpose(r - 1, r - 2);
        Autograd.backend().copy(a, v);
        return v;
    }
}
