package org.layerensembles.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layerensembles.core.testing.Nd4jInterop.doubles;
import static org.layerensembles.core.testing.Nd4jInterop.nd4j;
import static org.layerensembles.core.testing.Nd4jInterop.poolConfig;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.MaxPoolResult;
import org.layerensembles.core.backend.Pool2dParams;
import org.layerensembles.core.reference.PoolRef;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.FiniteDifferences;
import org.layerensembles.core.testing.TestData;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.AvgPooling2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.MaxPooling2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Pooling2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Pooling kernels against their twin ({@link PoolRef}), ND4J's pooling ops, and finite
 * differences.
 *
 * <p>Tolerances: max pooling moves values, so values and indices must match exactly. Average
 * pooling sums at most 9 float32 values per window: atol 1e-6, rtol 1e-5 against the double twin
 * (and ND4J). Global average sums a whole plane in float32: atol 1e-5. Backward twins against
 * central finite differences (h = 1e-6, double): the maps are linear (max pooling piecewise
 * linear, with inputs spaced far more than h apart so no window changes its winner), so
 * atol 1e-7.
 */
class PoolingTest {
    private static final CpuBackend CPU = new CpuBackend();

    /**
     * Parameter sets covering the 2x2 s2 path, the vector path (horizontal stride 1 or 2, with and
     * without padding) and the scalar one (stride 3, 1-wide stride-2 windows, narrow outputs).
     */
    private static final Pool2dParams[] PARAMS = {
        Pool2dParams.of(3, 2, 1),
        Pool2dParams.of(2, 2, 0),
        Pool2dParams.of(3, 1, 0),
        Pool2dParams.of(3, 1, 1),
        Pool2dParams.of(2, 1, 1),
        new Pool2dParams(3, 2, 2, 1, 1, 1, true),
        new Pool2dParams(3, 3, 2, 2, 1, 1, false),
        new Pool2dParams(2, 3, 1, 2, 1, 1, false),
        new Pool2dParams(3, 3, 3, 3, 1, 1, true),
        Pool2dParams.of(1, 2, 0),
    };

    /**
     * Shapes: odd planes smaller than a vector, wide ones that use full vectors plus a scalar tail,
     * and W = 64, where padded windows at the right edge fall in the vector part.
     */
    private static final int[][] SHAPES = {{2, 3, 7, 9}, {1, 2, 9, 67}, {2, 1, 6, 40}, {1, 2, 5, 64}};

    // ---- max pooling

    @Test
    void maxPoolMatchesTwinExactly() {
        int seed = 1;
        for (int[] shape : SHAPES) {
            for (Pool2dParams p : PARAMS) {
                for (boolean strided : new boolean[] {false, true}) {
                    NDArray x = strided ? TestData.nonContiguous(seed, shape) : TestData.array(seed, shape);
                    seed++;
                    checkMaxAgainstTwin(x, p, label("maxPool2d", x, p));
                }
            }
        }
    }

    @Test
    void maxPoolTiesNaNAndInfinityFollowPyTorch() {
        // Values from {-inf, 0, 1, 2} make many ties (the first maximum in row-major window order
        // must win), and a few NaNs must propagate with the index of the window's last NaN.
        int[] shape = {1, 2, 8, 70};
        Random r = new Random(7);
        float[] v = new float[2 * 8 * 70];
        for (int i = 0; i < v.length; i++) {
            int k = r.nextInt(4);
            v[i] = k == 3 ? Float.NEGATIVE_INFINITY : k;
            if (r.nextInt(40) == 0) {
                v[i] = Float.NaN;
            }
        }
        NDArray x = NDArrays.of(v, shape);
        for (Pool2dParams p : PARAMS) {
            checkMaxAgainstTwin(x, p, label("maxPool2d ties", x, p));
        }
        // A window of only -infinity returns -infinity at the window's first real position.
        NDArray allInf = NDArrays.full(Float.NEGATIVE_INFINITY, 1, 1, 2, 2);
        MaxPoolResult res = CPU.maxPool2d(allInf, Pool2dParams.of(2, 2, 0));
        assertEquals(Float.NEGATIVE_INFINITY, res.output().getFloat(0, 0, 0, 0));
        assertEquals(0, res.indices().getInt(0, 0, 0, 0));
        NDArray wideInf = NDArrays.full(Float.NEGATIVE_INFINITY, 1, 1, 5, 69);
        for (Pool2dParams p : PARAMS) {
            checkMaxAgainstTwin(wideInf, p, label("maxPool2d all -inf", wideInf, p));
        }
    }

    private static void checkMaxAgainstTwin(NDArray x, Pool2dParams p, String what) {
        MaxPoolResult fast = CPU.maxPool2d(x, p);
        PoolRef.MaxPool ref = PoolRef.maxPool2d(RefArrays.doubles(x), x.shape(), p);
        assertArrayEquals(ref.shape(), fast.output().shape(), what + ": output shape");
        assertEquals(DType.INT32, fast.indices().dtype());
        Compare.assertClose(what + " values", ref.output(), fast.output(), 0, 0);
        assertArrayEquals(ref.indices(), fast.indices().toIntArray(), what + ": indices");
    }

    /**
     * ND4J's MaxPooling2D: NCHW via isNHWC(false), VALID padding mode with explicit pH/pW (ND4J's
     * floor-mode output size, same as PyTorch's), dilation 1. ND4J takes the max over the
     * window's real elements, which equals PyTorch's -infinity padding. ND4J cannot give indices:
     * in 1.0.0-M2.1 max_pool_with_argmax's shape function returns the input's shape (pooled-shape
     * outputs are rejected, and the MaxPoolWithArgmax class leaves them unfilled). So indices are
     * checked against the twin here, and indirectly against ND4J by maxpool2d_bp in
     * {@link #backwardMatchesNd4j}, which routes gradients to the maxima.
     */
    @Test
    void maxPoolMatchesNd4j() {
        int seed = 100;
        for (int[] shape : SHAPES) {
            for (Pool2dParams p : PARAMS) {
                NDArray x = TestData.array(seed++, shape);
                INDArray out = Nd4j.exec(new MaxPooling2D(nd4j(x), poolConfig(p, Pooling2D.Pooling2DType.MAX)))[0];
                Compare.assertClose(label("maxPool2d vs ND4J", x, p), doubles(out), CPU.maxPool2d(x, p).output(), 0, 0);
            }
        }
    }

    @Test
    void maxPoolBackwardTwinMatchesFiniteDifferences() {
        int[] shape = {2, 2, 7, 9};
        for (Pool2dParams p : PARAMS) {
            double[] x = TestData.distinctValues(11, shape);
            PoolRef.MaxPool y = PoolRef.maxPool2d(x, shape, p);
            double[] gy = TestData.uniform(12, y.output().length);
            double[] analytic = PoolRef.maxPool2dBackward(gy, y.indices(), y.shape(), shape);
            double[] numeric = FiniteDifferences.gradient(
                    v -> FiniteDifferences.dot(gy, PoolRef.maxPool2d(v, shape, p).output()), x, 1e-6);
            Compare.assertClose("maxPool2d backward twin vs finite differences " + p, numeric, analytic, shape, 1e-7, 0);
        }
    }

    @Test
    void maxPoolBackwardMatchesTwin() {
        int seed = 200;
        for (int[] shape : SHAPES) {
            for (Pool2dParams p : PARAMS) {
                NDArray x = TestData.array(seed++, shape);
                MaxPoolResult y = CPU.maxPool2d(x, p);
                NDArray gy = TestData.nonContiguous(seed++, y.output().shape());
                NDArray gx = CPU.maxPool2dBackward(gy, y.indices(), shape);
                double[] ref = PoolRef.maxPool2dBackward(RefArrays.doubles(gy), y.indices().toIntArray(),
                        y.output().shape(), shape);
                // Overlapping windows add at most kH*kW float32 gradients: atol 1e-6.
                Compare.assertClose(label("maxPool2dBackward", x, p), ref, gx, 1e-6, 1e-6);
            }
        }
    }

    @Test
    void maxPoolBackwardWithIndicesOutsideTheTwoByTwoWindows() {
        // A 3x3 stride-2 pad-1 pool on even planes has the 2x2 pool's output shape, but its
        // indices may point into a neighbour's 2x2 window: the vectorised one-pass backward must
        // notice and scatter that plane instead (the others may stay on the fast path).
        int seed = 300;
        for (int[] shape : new int[][] {{2, 3, 8, 40}, {1, 2, 6, 34}, {3, 2, 16, 16}}) {
            NDArray x = TestData.array(seed++, shape);
            MaxPoolResult y = CPU.maxPool2d(x, Pool2dParams.of(3, 2, 1));
            NDArray gy = TestData.array(seed++, y.output().shape());
            NDArray gx = CPU.maxPool2dBackward(gy, y.indices(), shape);
            double[] ref = PoolRef.maxPool2dBackward(RefArrays.doubles(gy), y.indices().toIntArray(),
                    y.output().shape(), shape);
            Compare.assertClose("maxPool2dBackward 3x3/2/1 " + java.util.Arrays.toString(shape), ref, gx, 1e-6, 1e-6);
        }
    }

    // ---- average pooling

    @Test
    void avgPoolMatchesTwin() {
        int seed = 300;
        for (int[] shape : SHAPES) {
            for (Pool2dParams p : withBothDivisors()) {
                NDArray x = TestData.nonContiguous(seed++, shape);
                double[] ref = PoolRef.avgPool2d(RefArrays.doubles(x), shape, p);
                Compare.assertClose(label("avgPool2d", x, p), ref, CPU.avgPool2d(x, p), 1e-6, 1e-5);
            }
        }
    }

    /**
     * ND4J's AvgPooling2D with the same layout settings as for max pooling. Divisor: ND4J's
     * "extra" argument (iArg 9) is 1 to divide by kH*kW (PyTorch's count_include_pad=True) and 0 to
     * divide by the number of real elements (count_include_pad=False); its Divisor enum field is
     * not passed to the op. Checked here for both, with padding so that the two differ.
     */
    @Test
    void avgPoolMatchesNd4j() {
        int seed = 400;
        for (int[] shape : SHAPES) {
            for (Pool2dParams p : withBothDivisors()) {
                NDArray x = TestData.array(seed++, shape);
                Pooling2DConfig cfg = poolConfig(p, Pooling2D.Pooling2DType.AVG);
                cfg.setExtra(p.countIncludePad() ? 1 : 0);
                INDArray out = Nd4j.exec(new AvgPooling2D(nd4j(x), cfg))[0];
                Compare.assertClose(label("avgPool2d vs ND4J", x, p), doubles(out), CPU.avgPool2d(x, p), 1e-6, 1e-5);
            }
        }
    }

    @Test
    void avgPoolBackwardTwinMatchesFiniteDifferences() {
        int[] shape = {1, 2, 7, 9};
        for (Pool2dParams p : withBothDivisors()) {
            double[] x = TestData.uniform(21, RefArrays.numel(shape));
            int outLen = RefArrays.numel(p.outputShape("test", shape));
            double[] gy = TestData.uniform(22, outLen);
            double[] analytic = PoolRef.avgPool2dBackward(gy, shape, p);
            double[] numeric = FiniteDifferences.gradient(
                    v -> FiniteDifferences.dot(gy, PoolRef.avgPool2d(v, shape, p)), x, 1e-6);
            Compare.assertClose("avgPool2d backward twin vs finite differences " + p, numeric, analytic, shape, 1e-7, 0);
        }
    }

    @Test
    void avgPoolBackwardMatchesTwin() {
        int seed = 500;
        for (int[] shape : SHAPES) {
            for (Pool2dParams p : withBothDivisors()) {
                int[] outShape = p.outputShape("test", shape);
                NDArray gy = TestData.nonContiguous(seed++, outShape);
                double[] ref = PoolRef.avgPool2dBackward(RefArrays.doubles(gy), shape, p);
                Compare.assertClose(label("avgPool2dBackward", gy, p), ref, CPU.avgPool2dBackward(gy, shape, p),
                        1e-6, 1e-5);
            }
        }
    }

    /**
     * ND4J's maxpool2d_bp and avgpool2d_bp (DynamicCustomOp, inputs x and dL/dy, the same integer
     * arguments as the forward ops: kernel, stride, padding, dilation 1, VALID mode, "extra" as
     * the average divisor flag, NCHW). Max pooling's inputs come from random floats, where ties
     * are improbable (ND4J's tie rule is not PyTorch's concern here).
     */
    @Test
    void backwardMatchesNd4j() {
        int seed = 700;
        for (int[] shape : SHAPES) {
            for (Pool2dParams p : withBothDivisors()) {
                NDArray x = TestData.array(seed++, shape);
                int[] outShape = p.outputShape("test", shape);
                NDArray gy = TestData.array(seed++, outShape);
                String what = label("backward vs ND4J", x, p);
                Compare.assertClose("max " + what, nd4jBackward("maxpool2d_bp", x, gy, p),
                        CPU.maxPool2dBackward(gy, CPU.maxPool2d(x, p).indices(), shape), 1e-6, 1e-5);
                Compare.assertClose("avg " + what, nd4jBackward("avgpool2d_bp", x, gy, p),
                        CPU.avgPool2dBackward(gy, shape, p), 1e-6, 1e-5);
            }
        }
    }

    private static double[] nd4jBackward(String opName, NDArray x, NDArray gy, Pool2dParams p) {
        INDArray out = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT,
                java.util.Arrays.stream(x.shape()).asLongStream().toArray());
        Nd4j.exec(org.nd4j.linalg.api.ops.DynamicCustomOp.builder(opName)
                .addInputs(nd4j(x), nd4j(gy))
                .addOutputs(out)
                .addIntegerArguments(p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.padH(), p.padW(),
                        1, 1, 0, p.countIncludePad() ? 1 : 0, 0)
                .build());
        return doubles(out);
    }

    // ---- global average pooling

    @Test
    void globalAvgPoolMatchesTwinAndNd4j() {
        int[][] shapes = {{2, 3, 7, 9}, {2, 5, 33, 65}, {1, 1, 1, 1}};
        int seed = 600;
        for (int[] shape : shapes) {
            NDArray x = TestData.nonContiguous(seed++, shape);
            NDArray y = CPU.globalAvgPool2d(x);
            assertArrayEquals(new int[] {shape[0], shape[1], 1, 1}, y.shape());
            Compare.assertClose("globalAvgPool2d " + java.util.Arrays.toString(shape),
                    PoolRef.globalAvgPool2d(RefArrays.doubles(x), shape), y, 1e-5, 1e-5);
            // ND4J: the mean over dimensions 2 and 3 of the same NCHW data.
            INDArray mean = nd4j(x).mean(2, 3);
            Compare.assertClose("globalAvgPool2d vs ND4J mean", doubles(mean), y, 1e-5, 1e-5);
        }
    }

    @Test
    void globalAvgPoolBackward() {
        int[] shape = {2, 3, 5, 7};
        double[] x = TestData.uniform(31, RefArrays.numel(shape));
        double[] gy = TestData.uniform(32, 6);
        double[] analytic = PoolRef.globalAvgPool2dBackward(gy, shape);
        double[] numeric = FiniteDifferences.gradient(
                v -> FiniteDifferences.dot(gy, PoolRef.globalAvgPool2d(v, shape)), x, 1e-6);
        Compare.assertClose("globalAvgPool2d backward twin vs finite differences", numeric, analytic, shape, 1e-7, 0);

        int[] big = {2, 3, 33, 65};
        NDArray g = TestData.nonContiguous(33, 2, 3, 1, 1);
        Compare.assertClose("globalAvgPool2dBackward", PoolRef.globalAvgPool2dBackward(RefArrays.doubles(g), big),
                CPU.globalAvgPool2dBackward(g, big), 1e-7, 1e-6);
    }

    // ---- determinism

    @Test
    void backwardIsBitIdenticalOnOneAndTwoThreads() {
        int[] shape = {4, 8, 33, 34};
        Pool2dParams p = Pool2dParams.of(3, 1, 1);
        NDArray x = TestData.array(41, shape);
        MaxPoolResult y = CPU.maxPool2d(x, p);
        NDArray gy = TestData.array(42, y.output().shape());
        int threads = Parallel.threads();
        try {
            Parallel.setThreads(1);
            NDArray max1 = CPU.maxPool2dBackward(gy, y.indices(), shape);
            NDArray avg1 = CPU.avgPool2dBackward(gy, shape, p);
            NDArray glob1 = CPU.globalAvgPool2d(x);
            Parallel.setThreads(2);
            Compare.assertIdentical("maxPool2dBackward 1 vs 2 threads", max1, CPU.maxPool2dBackward(gy, y.indices(), shape));
            Compare.assertIdentical("avgPool2dBackward 1 vs 2 threads", avg1, CPU.avgPool2dBackward(gy, shape, p));
            Compare.assertIdentical("globalAvgPool2d 1 vs 2 threads", glob1, CPU.globalAvgPool2d(x));
        } finally {
            Parallel.setThreads(threads);
        }
    }

    // ---- bad input

    @Test
    void rejectsBadInput() {
        NDArray x = TestData.array(51, 1, 2, 3, 3);
        // Window larger than the padded input.
        assertMessage(() -> CPU.maxPool2d(x, Pool2dParams.of(5, 1, 0)), "maxPool2d", "larger than the padded input");
        assertMessage(() -> CPU.avgPool2d(x, Pool2dParams.of(4, 1, 0)), "avgPool2d", "[1, 2, 3, 3]");
        // Padding more than half the kernel.
        assertMessage(() -> Pool2dParams.of(3, 1, 2), "pool2d", "at most half");
        assertMessage(() -> Pool2dParams.of(2, 2, 0).outputShape("maxPool2d", new int[] {1, 1, 0, 4}), "maxPool2d",
                "empty");
        // Wrong rank and dtype.
        NDArray rank3 = TestData.array(52, 2, 3, 3);
        assertMessage(() -> CPU.maxPool2d(rank3, Pool2dParams.of(2, 2, 0)), "maxPool2d", "[2, 3, 3]");
        assertMessage(() -> CPU.avgPool2d(rank3, Pool2dParams.of(2, 2, 0)), "avgPool2d", "[2, 3, 3]");
        assertMessage(() -> CPU.globalAvgPool2d(rank3), "globalAvgPool2d", "[2, 3, 3]");
        NDArray ints = NDArrays.zeros(DType.INT32, 1, 1, 4, 4);
        assertMessage(() -> CPU.maxPool2d(ints, Pool2dParams.of(2, 2, 0)), "maxPool2d", "float32");
        // Indices whose shape differs from gradY's, or that point outside the plane.
        NDArray in = TestData.array(53, 1, 2, 4, 4);
        MaxPoolResult y = CPU.maxPool2d(in, Pool2dParams.of(2, 2, 0));
        NDArray wrongIdx = NDArrays.zeros(DType.INT32, 1, 2, 2, 3);
        assertMessage(() -> CPU.maxPool2dBackward(y.output(), wrongIdx, in.shape()), "maxPool2dBackward",
                "[1, 2, 2, 2] vs indices [1, 2, 2, 3]");
        assertMessage(() -> CPU.maxPool2dBackward(y.output(), y.output(), in.shape()), "maxPool2dBackward", "int32");
        assertMessage(() -> CPU.maxPool2dBackward(y.output(), y.indices(), new int[] {1, 3, 4, 4}),
                "maxPool2dBackward", "N or C");
        NDArray farInts = NDArrays.of(new int[] {0, 1, 2, 3, 4, 5, 6, 16}, 1, 2, 2, 2);
        assertMessage(() -> CPU.maxPool2dBackward(y.output(), farInts, in.shape()), "maxPool2dBackward",
                "outside the input plane 4x4");
        assertMessage(() -> CPU.avgPool2dBackward(y.output(), new int[] {1, 2, 6, 6}, Pool2dParams.of(2, 2, 0)),
                "avgPool2dBackward", "[1, 2, 2, 2]");
        assertMessage(() -> CPU.avgPool2dBackward(y.output(), new int[] {2, 6, 6}, Pool2dParams.of(2, 2, 0)),
                "avgPool2dBackward", "[2, 6, 6]");
        assertMessage(() -> CPU.globalAvgPool2dBackward(y.output(), in.shape()), "globalAvgPool2dBackward",
                "[1, 2, 2, 2]");
    }

    // ---- helpers

    private static void assertMessage(Runnable r, String op, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().startsWith(op + ":"), "message should name " + op + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "message should contain '" + fragment + "': " + e.getMessage());
    }

    private static Pool2dParams[] withBothDivisors() {
        Pool2dParams[] out = new Pool2dParams[PARAMS.length * 2];
        for (int i = 0; i < PARAMS.length; i++) {
            Pool2dParams p = PARAMS[i];
            out[2 * i] = new Pool2dParams(p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.padH(), p.padW(), true);
            out[2 * i + 1] = new Pool2dParams(p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.padH(), p.padW(), false);
        }
        return out;
    }

    private static String label(String op, NDArray x, Pool2dParams p) {
        return op + " " + java.util.Arrays.toString(x.shape()) + (x.isContiguous() ? "" : " (strided)") + " " + p;
    }
}
