package org.layerensembles.core.cpu;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.layerensembles.core.cpu.BatchNormTest.assertMentions;
import static org.layerensembles.core.cpu.BatchNormTest.floats;
import static org.layerensembles.core.cpu.BatchNormTest.nd;

import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.reference.SoftmaxRef;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.FiniteDifferences;
import org.layerensembles.core.testing.TestData;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LogSoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Softmax and log-softmax: fast kernels (both the strided-axis "columns" path and the last-axis
 * "rows" path) vs the double-precision twin and vs ND4J, backward twins vs finite differences,
 * fast backward vs twin backward, thread-count determinism and argument checks.
 *
 * <p>Tolerances: each output involves one exp (ExpLog, <= 2 ulp), a float sum of K
 * terms and one division or log: softmax atol 1e-6, rtol 1e-5 (probabilities in (0, 1]);
 * log-softmax atol 1e-5, rtol 1e-5 (values of a few units; for inputs scaled to +-50, atol 1e-4);
 * backward atol 1e-5, rtol 1e-5.
 */
class SoftmaxTest {
    /** Shapes and axes covering: columns (inner > 1) with odd inner, rows (last axis) short and long, axis 0, rank 1. */
    private static final int[][] SHAPES = {{2, 3, 5, 7}, {3, 4, 37, 19}, {5, 37}, {6, 3}, {4, 2, 3}, {17}, {2, 10, 1, 1}};
    private static final int[][] AXES = {{1, 0, -1}, {1}, {-1, 0}, {1}, {2, 1}, {0}, {1}};

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    private static NDArray scaled(NDArray x, float scale, float shift) {
        float[] f = x.toFloatArray();
        for (int i = 0; i < f.length; i++) {
            f[i] = f[i] * scale + shift;
        }
        NDArray out = NDArrays.of(f, x.shape());
        if (x.isContiguous()) {
            return out;
        }
        NDArray strided = TestData.nonContiguous(0, x.shape());
        StridedCopy.copy(out, strided);
        return strided;
    }

    @Test
    void forwardMatchesTwin() {
        for (int s = 0; s < SHAPES.length; s++) {
            int[] shape = SHAPES[s];
            for (int axis : AXES[s]) {
                for (boolean strided : new boolean[] {false, true}) {
                    NDArray x0 = strided ? TestData.nonContiguous(s, shape) : TestData.array(s, shape);
                    // scale 50, shift 1000: large logits check the max subtraction (no overflow)
                    for (float scale : new float[] {3, 50}) {
                        NDArray x = scaled(x0, scale, scale == 50 ? 1000 : 0);
                        String what = Arrays.toString(shape) + " axis " + axis + (strided ? " strided" : "")
                                + " scale " + scale;
                        double[] xd = RefArrays.doubles(x);
                        Compare.assertClose("softmax " + what, SoftmaxRef.softmax(xd, shape, axis),
                                CpuSoftmax.softmax(x, axis), 1e-6, 1e-5);
                        Compare.assertClose("logSoftmax " + what, SoftmaxRef.logSoftmax(xd, shape, axis),
                                CpuSoftmax.logSoftmax(x, axis), scale == 50 ? 1e-4 : 1e-5, 1e-5);
                    }
                }
            }
        }
    }

    @Test
    void bigSpatialAxisOneMatchesTwin() {
        // the segmentation case: [N, C, H, W], C classes along axis 1, many tiles and tasks
        int[] shape = {2, 5, 67, 131};
        NDArray x = scaled(TestData.array(9, shape), 4, 0);
        double[] xd = RefArrays.doubles(x);
        Compare.assertClose("softmax", SoftmaxRef.softmax(xd, shape, 1), CpuSoftmax.softmax(x, 1), 1e-6, 1e-5);
        Compare.assertClose("logSoftmax", SoftmaxRef.logSoftmax(xd, shape, 1), CpuSoftmax.logSoftmax(x, 1), 1e-5,
                1e-5);
    }

    /**
     * ND4J's SoftMax / LogSoftMax custom ops take the dimension to normalise over, with two
     * surprises in 1.0.0-M2.1 (linux-x86_64-onednn-avx2):
     * <ul>
     *   <li>{@code new LogSoftMax(x, dim)} stores dim but never passes it to the op, which then
     *       normalises over the last axis; we add the integer argument ourselves.
     *       ({@code new LogSoftMax(x)} even writes its result into x.)</li>
     *   <li>SoftMax of a rank-4 array along axis 1 (NCHW channels, H*W > 1) is wrong: its sums
     *       over the axis range 0.7..1.3. Ranks 2, 3, 5 and the other axes of rank 4 are right,
     *       so axis 1 of [N, C, H, W] is checked on the rank-3 view [N, C, H*W].</li>
     * </ul>
     */
    @Test
    void matchesNd4j() {
        int[] shape = {3, 4, 6, 5};
        NDArray x = scaled(TestData.array(21, shape), 3, 0);
        for (int axis : new int[] {1, 3, 0, 2}) {
            INDArray nx = nd(x);
            INDArray sm = axis == 1
                    ? Nd4j.exec(new SoftMax(nx.reshape('c', 3, 4, 30), 1))[0]
                    : Nd4j.exec(new SoftMax(nx, axis))[0];
            LogSoftMax logOp = new LogSoftMax(nx, axis);
            logOp.addIArgument(axis);
            INDArray lsm = Nd4j.exec(logOp)[0];
            Compare.assertClose("softmax vs ND4J axis " + axis, floats(sm), CpuSoftmax.softmax(x, axis), 1e-6, 1e-5);
            Compare.assertClose("logSoftmax vs ND4J axis " + axis, floats(lsm), CpuSoftmax.logSoftmax(x, axis), 1e-5,
                    1e-5);
        }
        int[] rows = {7, 37};
        NDArray r = scaled(TestData.array(22, rows), 3, 0);
        Compare.assertClose("softmax vs ND4J rows", floats(Nd4j.exec(new SoftMax(nd(r), 1))[0]),
                CpuSoftmax.softmax(r, 1), 1e-6, 1e-5);
    }

    @Test
    void backwardTwinsMatchFiniteDifferences() {
        int[] shape = {2, 4, 3};
        int n = 24;
        double[] x = TestData.uniform(31, n);
        double[] w = TestData.uniform(32, n);
        double h = 1e-6;
        for (int axis : new int[] {1, 2, 0}) {
            double[] y = SoftmaxRef.softmax(x, shape, axis);
            double[] fd = FiniteDifferences.gradient(v -> FiniteDifferences.dot(w, SoftmaxRef.softmax(v, shape, axis)),
                    x, h);
            Compare.assertClose("softmax backward vs FD axis " + axis, fd,
                    SoftmaxRef.softmaxBackward(y, w, shape, axis), shape, 1e-8, 1e-6);
            double[] ly = SoftmaxRef.logSoftmax(x, shape, axis);
            double[] lfd = FiniteDifferences.gradient(
                    v -> FiniteDifferences.dot(w, SoftmaxRef.logSoftmax(v, shape, axis)), x, h);
            Compare.assertClose("logSoftmax backward vs FD axis " + axis, lfd,
                    SoftmaxRef.logSoftmaxBackward(ly, w, shape, axis), shape, 1e-8, 1e-6);
        }
    }

    @Test
    void backwardMatchesTwin() {
        for (int s = 0; s < SHAPES.length; s++) {
            int[] shape = SHAPES[s];
            for (int axis : AXES[s]) {
                NDArray x = scaled(TestData.array(40 + s, shape), 3, 0);
                NDArray gy = TestData.nonContiguous(60 + s, shape);
                String what = Arrays.toString(shape) + " axis " + axis;
                NDArray y = CpuSoftmax.softmax(x, axis);
                Compare.assertClose("softmaxBackward " + what,
                        SoftmaxRef.softmaxBackward(RefArrays.doubles(y), RefArrays.doubles(gy), shape, axis),
                        CpuSoftmax.softmaxBackward(y, gy, axis), 1e-5, 1e-5);
                NDArray ly = CpuSoftmax.logSoftmax(TestData.nonContiguous(40 + s, shape), axis);
                Compare.assertClose("logSoftmaxBackward " + what,
                        SoftmaxRef.logSoftmaxBackward(RefArrays.doubles(ly), RefArrays.doubles(gy), shape, axis),
                        CpuSoftmax.logSoftmaxBackward(ly, gy, axis), 1e-5, 1e-5);
            }
        }
    }

    @Test
    void resultsDoNotDependOnThreadCount() {
        int[] shape = {3, 6, 41, 43};
        NDArray x = TestData.array(71, shape);
        NDArray gy = TestData.array(72, shape);
        NDArray[][] r = new NDArray[2][];
        for (int threads = 1; threads <= 2; threads++) {
            Parallel.setThreads(threads);
            NDArray y = CpuSoftmax.softmax(x, 1);
            NDArray ly = CpuSoftmax.logSoftmax(x, -1);
            r[threads - 1] = new NDArray[] {y, ly, CpuSoftmax.softmaxBackward(y, gy, 1),
                CpuSoftmax.logSoftmaxBackward(ly, gy, -1)};
            if (threads == 1) {
                // the second run uses JIT-compiled kernels, the first mostly did not
                NDArray small = TestData.array(73, 2, 3, 40);
                for (int i = 0; i < 3000; i++) {
                    NDArray s1 = CpuSoftmax.softmax(small, 1);
                    NDArray s2 = CpuSoftmax.logSoftmax(small, -1);
                    CpuSoftmax.softmaxBackward(s1, small, 1);
                    CpuSoftmax.logSoftmaxBackward(s2, small, -1);
                }
            }
        }
        for (int i = 0; i < 4; i++) {
            Compare.assertIdentical("result " + i, r[0][i], r[1][i]);
        }
    }

    @Test
    void emptyArraysGiveEmptyResults() {
        NDArray x = NDArrays.zeros(2, 0, 3);
        Compare.assertIdentical("softmax", x, CpuSoftmax.softmax(x, 1));
        Compare.assertIdentical("logSoftmax", x, CpuSoftmax.logSoftmax(x, 2));
    }

    @Test
    void badInputIsRejectedWithClearMessages() {
        NDArray x = TestData.array(1, 2, 3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuSoftmax.softmax(x, 3));
        assertMentions(e, "softmax", "axis 3", "[2, 3, 4]");
        e = assertThrows(IllegalArgumentException.class, () -> CpuSoftmax.logSoftmax(x, -4));
        assertMentions(e, "logSoftmax", "axis -4");
        e = assertThrows(IllegalArgumentException.class,
                () -> CpuSoftmax.softmax(NDArrays.zeros(DType.INT32, 2, 3), 1));
        assertMentions(e, "softmax", "float32", "int32");
        e = assertThrows(IllegalArgumentException.class,
                () -> CpuSoftmax.softmaxBackward(x, TestData.array(2, 2, 4, 3), 1));
        assertMentions(e, "softmaxBackward", "[2, 3, 4]", "[2, 4, 3]");
        e = assertThrows(IllegalArgumentException.class,
                () -> CpuSoftmax.logSoftmaxBackward(x, NDArrays.zeros(DType.INT32, 2, 3, 4), 1));
        assertMentions(e, "logSoftmaxBackward", "gradY", "int32");
        e = assertThrows(IllegalArgumentException.class, () -> CpuSoftmax.softmax(NDArrays.scalar(1), 0));
        assertMentions(e, "softmax", "rank 0");
    }
}
