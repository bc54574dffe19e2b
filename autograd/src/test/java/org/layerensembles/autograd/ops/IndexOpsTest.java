package org.layerensembles.autograd.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.layerensembles.autograd.ops.ElementwiseOpsTest.upstream;
import static org.layerensembles.autograd.ops.ElementwiseOpsTest.values;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.GradCheck;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.reference.ElementwiseRef;
import org.layerensembles.core.reference.IndexingRef;
import org.layerensembles.core.reference.SoftmaxRef;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * {@link IndexOps} against the twins of {@code IndexingRef}: gather's forward, its gradient
 * against central finite differences of the twin ({@link GradCheck}) and against the twin's
 * analytic {@code gatherBackward}; oneHot against the twin, with no gradient.
 *
 * <p>Tolerances: gather moves values exactly, so forward and gradients are exact up to the sums
 * of repeated indices (at most 3 float32 terms): atol 1e-6 + rtol 1e-6 against the analytic twin;
 * GradCheck's finite differences (h = 1e-6, double) are within ~1e-9, checked at atol 1e-5 +
 * rtol 1e-4 (the chains with logSoftmax need that margin).
 */
class IndexOpsTest {
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;
    private static final double EXACT = 1e-6;

    /** {xShape, indexShape, axis}: same extents off the axis, smaller ones, rank 3, repeats along a short axis. */
    private static final int[][][] CASES = {
        {{3, 4}, {3, 4}, {1}},
        {{3, 4}, {3, 6}, {1}},      // more picks than the axis holds: repeats certain
        {{3, 4}, {2, 2}, {1}},      // smaller off the axis
        {{3, 4}, {5, 4}, {0}},
        {{3, 4}, {3, 1}, {-1}},     // one pick per row (cross-entropy's shape)
        {{2, 3, 4}, {2, 2, 4}, {1}},
        {{2, 3, 4}, {1, 3, 2}, {-1}},
    };

    @Test
    void gatherAgainstFiniteDifferencesAndAnalyticTwin() {
        long seed = 1;
        for (int[][] c : CASES) {
            int[] xs = c[0];
            int[] is = c[1];
            int axis = c[2][0] < 0 ? c[2][0] + xs.length : c[2][0];
            double[] xv = values(seed++, xs, -1, 1);
            int[] iv = randomIndex(seed++, is, xs[axis]);
            NDArray x = NDArrays.of(xv, xs);
            NDArray index = NDArrays.of(iv, is);
            String what = "gather " + Shapes.str(xs) + " axis " + c[2][0] + " index " + Shapes.str(is);
            GradCheck.of(what, t -> IndexOps.gather(t[0], c[2][0], t[1]),
                    v -> IndexingRef.gather(v[0], xs, axis, ints(v[1]), is)).tolerance(ATOL, RTOL)
                    .run(new NDArray[] {x, index}, new boolean[] {true, false});

            Tensor p = Tensor.parameter(x);
            Tensor y = IndexOps.gather(p, c[2][0], Tensor.constant(index));
            assertArrayEquals(is, y.shape(), what + " shape");
            double[] w = upstream(seed++, is);
            y.backward(NDArrays.of(w, is));
            Compare.assertClose(what + " analytic", IndexingRef.gatherBackward(w, axis, iv, is, xs), p.grad(), EXACT,
                    EXACT);
        }
    }

    @Test
    void repeatedIndicesAddTheirGradients() {
        Tensor x = Tensor.parameter(NDArrays.of(new float[] {10, 20, 30}, 1, 3));
        Tensor y = IndexOps.gather(x, 1, Tensor.constant(NDArrays.of(new int[] {2, 0, 2, 2}, 1, 4)));
        Compare.assertClose("forward", new double[] {30, 10, 30, 30}, y.data(), 0, 0);
        y.backward(NDArrays.of(new float[] {1, 2, 3, 4}, 1, 4));
        Compare.assertClose("repeats add", new double[] {2, 0, 8}, x.grad(), 0, 0);
    }

    @Test
    void nonContiguousInputAndIndex() {
        int[] xs = {4, 3};
        int[] is = {4, 3};
        NDArray x = TestData.nonContiguous(100, xs);
        int[] iv = randomIndex(101, is, 3);
        // The index as the transpose of a [3, 4] buffer holding the same values.
        NDArray index = NDArrays.zeros(DType.INT32, 3, 4).transpose(0, 1);
        for (int i = 0; i < iv.length; i++) {
            index.setInt(iv[i], i / 3, i % 3);
        }
        assertFalse(x.isContiguous());
        assertFalse(index.isContiguous());
        GradCheck.of("gather non-contiguous", t -> IndexOps.gather(t[0], 1, t[1]),
                v -> IndexingRef.gather(v[0], xs, 1, ints(v[1]), is)).tolerance(ATOL, RTOL)
                .run(new NDArray[] {x, index}, new boolean[] {true, false});
    }

    @Test
    void gatherOfInt32ValuesIsAConstant() {
        Tensor labels = Tensor.constant(NDArrays.of(new int[] {5, 6, 7}, 1, 3));
        Tensor y = IndexOps.gather(labels, 1, Tensor.constant(NDArrays.of(new int[] {2, 0}, 1, 2)));
        assertEquals(DType.INT32, y.dtype());
        assertFalse(y.requiresGrad());
        assertArrayEquals(new int[] {7, 5}, y.data().toIntArray());
    }

    @Test
    void inputUsedTwiceAddsGradients() {
        int[] xs = {3, 4};
        int[] is = {3, 2};
        NDArray x = NDArrays.of(values(200, xs, -1, 1), xs);
        NDArray i1 = NDArrays.of(randomIndex(201, is, 4), is);
        NDArray i2 = NDArrays.of(randomIndex(202, is, 4), is);
        GradCheck.of("gather(x, i1) * gather(x, i2)",
                t -> ElementwiseOps.mul(IndexOps.gather(t[0], 1, t[1]), IndexOps.gather(t[0], 1, t[2])),
                v -> ElementwiseRef.binary(BinaryOp.MUL, IndexingRef.gather(v[0], xs, 1, ints(v[1]), is), is,
                        IndexingRef.gather(v[0], xs, 1, ints(v[2]), is), is)).tolerance(ATOL, RTOL)
                .run(new NDArray[] {x, i1, i2}, new boolean[] {true, false, false});
    }

    @Test
    void chainCrossEntropyThroughGather() {
        // mean over the batch of -log softmax(x)[label]: logSoftmax, gather, neg, mean.
        int[] xs = {4, 5};
        int[] labelShape = {4, 1};
        NDArray x = NDArrays.of(values(300, xs, -2, 2), xs);
        NDArray labels = NDArrays.of(randomIndex(301, labelShape, 5), labelShape);
        GradCheck.of("cross-entropy", t -> ReductionOps.mean(ElementwiseOps.neg(
                        IndexOps.gather(SoftmaxOps.logSoftmax(t[0], 1), 1, t[1]))),
                v -> {
                    double[] logP = SoftmaxRef.logSoftmax(v[0], xs, 1);
                    double[] picked = IndexingRef.gather(logP, xs, 1, ints(v[1]), labelShape);
                    double s = 0;
                    for (double e : picked) {
                        s -= e;
                    }
                    return new double[] {s / picked.length};
                }).tolerance(ATOL, RTOL).run(new NDArray[] {x, labels}, new boolean[] {true, false});
    }

    @Test
    void oneHotMatchesTwinAndHasNoGradient() {
        int[] ls = {2, 3};
        int[] lv = {0, 2, 1, 3, 3, 0};
        Tensor labels = Tensor.constant(NDArrays.of(lv, ls));
        for (int axis : new int[] {0, 1, 2, -1, -3}) {
            int a = axis < 0 ? axis + 3 : axis;
            Tensor y = IndexOps.oneHot(labels, 4, axis);
            assertEquals(DType.FLOAT32, y.dtype());
            assertFalse(y.requiresGrad());
            int[] expectedShape = new int[3];
            for (int d = 0, j = 0; d < 3; d++) {
                expectedShape[d] = d == a ? 4 : ls[j++];
            }
            assertArrayEquals(expectedShape, y.shape(), "oneHot axis " + axis);
            Compare.assertClose("oneHot axis " + axis, IndexingRef.oneHot(lv, ls, 4, a), y.data(), 0, 0);
        }
        // As a constant mask in a graph (cross-entropy with one-hot targets): only x gets a gradient.
        int[] xs = {2, 4, 3};
        NDArray x = NDArrays.of(values(400, xs, -2, 2), xs);
        double[] mask = IndexingRef.oneHot(lv, ls, 4, 1);
        GradCheck.of("sum(oneHot * logSoftmax)", t -> ReductionOps.sum(ElementwiseOps.mul(
                        IndexOps.oneHot(labels, 4, 1), SoftmaxOps.logSoftmax(t[0], 1))),
                v -> {
                    double[] logP = SoftmaxRef.logSoftmax(v[0], xs, 1);
                    double s = 0;
                    for (int i = 0; i < logP.length; i++) {
                        s += mask[i] * logP[i];
                    }
                    return new double[] {s};
                }).tolerance(ATOL, RTOL).run(x);
    }

    /** Random indices in [0, extent). */
    private static int[] randomIndex(long seed, int[] shape, int extent) {
        Random r = new Random(seed);
        int[] idx = new int[(int) Shapes.numel(shape)];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = r.nextInt(extent);
        }
        return idx;
    }

    private static int[] ints(double[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = (int) v[i];
        }
        return r;
    }
}
