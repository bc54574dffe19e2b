package org.layerensembles.autograd.nn.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.Pool2dParams;
import org.layerensembles.core.reference.PoolRef;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.Nd4jInterop;
import org.layerensembles.core.testing.TestData;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.AvgPooling2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.MaxPooling2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Pooling2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;

/**
 * MaxPool2d, AvgPool2d and GlobalAvgPool2d: forward against ND4J's MaxPooling2D / AvgPooling2D
 * (NCHW, VALID mode with explicit padding = PyTorch's floor mode; ND4J's "extra" flag 1 divides
 * by kH*kW as count_include_pad=True, 0 by the real elements) and ND4J's mean over H and W, and
 * against {@link PoolRef}; gradients against finite differences of PoolRef.
 *
 * <p>Tolerances: max pooling vs ND4J exact (it selects a value); averages 1e-6 + 1e-5 relative;
 * gradients 1e-5 + 1e-4 relative (LayerGradCheck's default). Max pooling's finite differences
 * need no two values of a window within 2h = 2e-6 of each other, so its gradient check runs on a
 * shuffled 0, 0.01, 0.02, ... (no ties, neighbours 0.01 apart).
 */
class PoolingLayersTest {

    @Test
    void maxPoolMatchesNd4jAndItsGradientTheTwin() {
        int[] xs = {2, 3, 7, 8};
        List<MaxPool2d> layers = List.of(new MaxPool2d(2), new MaxPool2d(3, 2, 1), new MaxPool2d(3, 1, 0));
        long seed = 1;
        for (MaxPool2d pool : layers) {
            NDArray x = TestData.array(seed++, xs);
            Tensor y = pool.forward(Tensor.constant(x));
            INDArray expected = org.nd4j.linalg.factory.Nd4j.exec(new MaxPooling2D(Nd4jInterop.nd4j(x),
                    Nd4jInterop.poolConfig(pool.params(), Pooling2D.Pooling2DType.MAX)))[0];
            Compare.assertClose(pool + " vs ND4J", Nd4jInterop.doubles(expected), y.data(), 0, 0);
            Pool2dParams p = pool.params();
            LayerGradCheck.of(pool.toString(), pool, v -> PoolRef.maxPool2d(v[0], xs, p).output())
                    .run(NDArrays.of(TestData.distinctValues(seed++, xs), xs), true);
        }
        // PyTorch's default stride is the kernel: 7x8 -> 3x4.
        assertArrayEquals(new int[] {2, 3, 3, 4}, new MaxPool2d(2).forward(Tensor.constant(TestData.array(9, xs))).shape());
    }

    @Test
    void avgPoolMatchesNd4jForBothDivisorsAndItsGradientTheTwin() {
        int[] xs = {2, 3, 7, 8};
        List<AvgPool2d> layers = List.of(new AvgPool2d(2), new AvgPool2d(3, 2, 1, true), new AvgPool2d(3, 2, 1, false),
                new AvgPool2d(new Pool2dParams(2, 3, 1, 2, 1, 1, false)));
        long seed = 10;
        for (AvgPool2d pool : layers) {
            NDArray x = TestData.array(seed++, xs);
            Tensor y = pool.forward(Tensor.constant(x));
            Pooling2DConfig cfg = Nd4jInterop.poolConfig(pool.params(), Pooling2D.Pooling2DType.AVG);
            cfg.setExtra(pool.params().countIncludePad() ? 1 : 0);
            INDArray expected = org.nd4j.linalg.factory.Nd4j.exec(new AvgPooling2D(Nd4jInterop.nd4j(x), cfg))[0];
            Compare.assertClose(pool + " vs ND4J", Nd4jInterop.doubles(expected), y.data(), 1e-6, 1e-5);
            Pool2dParams p = pool.params();
            LayerGradCheck.of(pool.toString(), pool, v -> PoolRef.avgPool2d(v[0], xs, p))
                    .run(TestData.nonContiguous(seed++, xs), true);
        }
        // With padding the two divisors differ (corner windows hold 4 of 9 real elements).
        NDArray x = TestData.array(20, xs);
        float[] with = new AvgPool2d(3, 2, 1, true).forward(Tensor.constant(x)).data().toFloatArray();
        float[] without = new AvgPool2d(3, 2, 1, false).forward(Tensor.constant(x)).data().toFloatArray();
        assertTrue(Math.abs(with[0] * 9 / 4 - without[0]) < 1e-6, with[0] + " vs " + without[0]);
    }

    @Test
    void globalAvgPoolMatchesNd4jAndItsGradientTheTwin() {
        int[] xs = {2, 3, 5, 7};
        Module pool = new GlobalAvgPool2d();
        NDArray x = TestData.array(30, xs);
        Tensor y = pool.forward(Tensor.constant(x));
        assertArrayEquals(new int[] {2, 3, 1, 1}, y.shape());
        INDArray expected = Nd4jInterop.nd4j(x).mean(2, 3);
        Compare.assertClose("GlobalAvgPool2d vs ND4J mean", Nd4jInterop.doubles(expected), y.data(), 1e-6, 1e-5);
        LayerGradCheck.of("GlobalAvgPool2d", pool, v -> PoolRef.globalAvgPool2d(v[0], xs))
                .run(TestData.nonContiguous(31, xs), true);
    }
}
