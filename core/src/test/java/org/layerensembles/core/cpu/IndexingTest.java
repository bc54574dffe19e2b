package org.layerensembles.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.layerensembles.core.cpu.BatchNormTest.assertMentions;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.reference.IndexingRef;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * gather, gatherBackward and oneHot vs their twins (gather and oneHot exact; gatherBackward sums
 * a few float32 values per target: atol 1e-6), the adjoint identity between gather and its
 * backward, thread-count determinism, and argument checks.
 */
class IndexingTest {

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    /** Random int32 values in [0, bound) with the given shape, optionally as a transposed (strided) view. */
    private static NDArray indices(long seed, int bound, boolean strided, int... shape) {
        Random r = new Random(seed);
        int[] v = new int[(int) RefArrays.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextInt(bound);
        }
        NDArray a = NDArrays.of(v, shape);
        if (!strided || shape.length < 2) {
            return a;
        }
        int n = shape.length;
        int[] swapped = shape.clone();
        swapped[n - 1] = shape[n - 2];
        swapped[n - 2] = shape[n - 1];
        NDArray view = NDArrays.zeros(DType.INT32, swapped).transpose(n - 1, n - 2);
        StridedCopy.copy(a, view);
        return view;
    }

    @Test
    void gatherAndBackwardMatchTwins() {
        int[] xShape = {3, 5, 7, 6};
        for (int axis = 0; axis < 4; axis++) {
            // index: smaller than x off the axis, and longer than x along it (repeats)
            int[] is = {2, 4, 5, 3};
            is[axis] = 9;
            for (boolean strided : new boolean[] {false, true}) {
                NDArray x = strided ? TestData.nonContiguous(axis, xShape) : TestData.array(axis, xShape);
                NDArray index = indices(10 + axis, xShape[axis], strided, is);
                String what = "axis " + axis + (strided ? " strided" : "");
                NDArray out = CpuIndexing.gather(x, axis, index);
                assertArrayEquals(is, out.shape());
                Compare.assertClose("gather " + what,
                        IndexingRef.gather(RefArrays.doubles(x), xShape, axis, index.toIntArray(), is), out, 0, 0);
                NDArray gy = strided ? TestData.nonContiguous(20 + axis, is) : TestData.array(20 + axis, is);
                NDArray gx = CpuIndexing.gatherBackward(gy, axis - 4, index, xShape);
                assertArrayEquals(xShape, gx.shape());
                Compare.assertClose("gatherBackward " + what,
                        IndexingRef.gatherBackward(RefArrays.doubles(gy), axis, index.toIntArray(), is, xShape), gx,
                        1e-6, 1e-6);
            }
        }
    }

    @Test
    void gatherBackwardIsTheAdjointOfGather() {
        // <gather(x), g> = <x, gatherBackward(g)> for any x and g
        int[] xShape = {4, 6, 33};
        int[] is = {4, 11, 33};
        NDArray x = TestData.array(1, xShape);
        NDArray g = TestData.array(2, is);
        NDArray index = indices(3, 6, false, is);
        double lhs = dot(CpuIndexing.gather(x, 1, index), g);
        double rhs = dot(x, CpuIndexing.gatherBackward(g, 1, index, xShape));
        assertEquals(lhs, rhs, 1e-4, "adjoint identity");
    }

    private static double dot(NDArray a, NDArray b) {
        double[] x = RefArrays.doubles(a);
        double[] y = RefArrays.doubles(b);
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += x[i] * y[i];
        }
        return s;
    }

    @Test
    void gatherOfInt32AndTheLossUseCase() {
        NDArray x = NDArrays.of(new int[] {10, 11, 12, 20, 21, 22}, 2, 3);
        NDArray index = NDArrays.of(new int[] {2, 0, 0, 1}, 2, 2);
        assertArrayEquals(new int[] {12, 10, 20, 21}, CpuIndexing.gather(x, 1, index).toIntArray());
        // picking the log-probability of each pixel's label: [N, C, H, W] with index [N, 1, H, W]
        NDArray logp = TestData.array(5, 2, 4, 9, 10);
        NDArray labels = indices(6, 4, false, 2, 1, 9, 10);
        Compare.assertClose("pick", IndexingRef.gather(RefArrays.doubles(logp), new int[] {2, 4, 9, 10}, 1,
                labels.toIntArray(), new int[] {2, 1, 9, 10}), CpuIndexing.gather(logp, 1, labels), 0, 0);
    }

    @Test
    void gatherBackwardDoesNotDependOnThreadCount() {
        int[] xShape = {2, 3, 70, 90};
        int[] is = {2, 40, 70, 90}; // many repeats along the axis: long sums per target
        NDArray index = indices(7, 3, false, is);
        NDArray gy = TestData.array(8, is);
        Parallel.setThreads(1);
        NDArray one = CpuIndexing.gatherBackward(gy, 1, index, xShape);
        Parallel.setThreads(2);
        NDArray two = CpuIndexing.gatherBackward(gy, 1, index, xShape);
        Compare.assertIdentical("gatherBackward", one, two);
    }

    @Test
    void oneHotMatchesTwin() {
        int[] ls = {2, 5, 7};
        int classes = 4;
        for (boolean strided : new boolean[] {false, true}) {
            NDArray labels = indices(30, classes, strided, ls);
            for (int axis = -4; axis < 4; axis++) {
                int a = axis < 0 ? axis + 4 : axis;
                NDArray out = CpuIndexing.oneHot(labels, classes, axis);
                Compare.assertClose("oneHot axis " + axis + (strided ? " strided" : ""),
                        IndexingRef.oneHot(labels.toIntArray(), ls, classes, a), out, 0, 0);
            }
        }
        // [N, H, W] labels, axis 1: [N, C, H, W] with long vector runs and a tail
        NDArray big = indices(31, 3, false, 2, 19, 37);
        NDArray out = CpuIndexing.oneHot(big, 3, 1);
        assertArrayEquals(new int[] {2, 3, 19, 37}, out.shape());
        Compare.assertClose("oneHot big", IndexingRef.oneHot(big.toIntArray(), new int[] {2, 19, 37}, 3, 1), out, 0, 0);
        // a scalar label
        Compare.assertClose("oneHot scalar", new double[] {0, 0, 1}, CpuIndexing.oneHot(NDArrays.of(new int[] {2}),
                3, 0), 0, 0);
    }

    @Test
    void badInputIsRejectedWithClearMessages() {
        NDArray x = TestData.array(1, 2, 5, 3);
        NDArray index = NDArrays.of(new int[] {0, 1, 7, 2, 0, 1}, 2, 1, 3);
        IndexOutOfBoundsException oob = assertThrows(IndexOutOfBoundsException.class,
                () -> CpuIndexing.gather(x, 1, index));
        assertMentions(oob, "gather", "index 7", "extent 5", "dimension 1");
        NDArray negative = NDArrays.of(new int[] {0, -1, 0}, 1, 1, 3);
        oob = assertThrows(IndexOutOfBoundsException.class, () -> CpuIndexing.gatherBackward(
                TestData.array(2, 1, 1, 3), 1, negative, new int[] {2, 5, 3}));
        assertMentions(oob, "gatherBackward", "index -1", "extent 5");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuIndexing.gather(x, 1, NDArrays.zeros(DType.INT32, 2, 3)));
        assertMentions(e, "gather", "rank", "[2, 3]", "[2, 5, 3]");
        e = assertThrows(IllegalArgumentException.class,
                () -> CpuIndexing.gather(x, 1, NDArrays.zeros(DType.INT32, 3, 1, 3)));
        assertMentions(e, "gather", "[3, 1, 3]", "[2, 5, 3]", "dimension 0");
        e = assertThrows(IllegalArgumentException.class, () -> CpuIndexing.gather(x, 1, NDArrays.zeros(2, 1, 3)));
        assertMentions(e, "gather", "index", "int32", "float32");
        e = assertThrows(IllegalArgumentException.class, () -> CpuIndexing.gather(x, 3, index));
        assertMentions(e, "gather", "axis 3");
        e = assertThrows(IllegalArgumentException.class,
                () -> CpuIndexing.gatherBackward(TestData.array(1, 2, 2, 3), 1, index, new int[] {2, 5, 3}));
        assertMentions(e, "gatherBackward", "[2, 2, 3]", "[2, 1, 3]");

        NDArray labels = NDArrays.of(new int[] {0, 2, 5, 1}, 2, 2);
        e = assertThrows(IllegalArgumentException.class, () -> CpuIndexing.oneHot(labels, 3, 1));
        assertMentions(e, "oneHot", "label 5", "[1, 0]", "[0, 3)");
        e = assertThrows(IllegalArgumentException.class,
                () -> CpuIndexing.oneHot(NDArrays.of(new int[] {-2}, 1), 3, 1));
        assertMentions(e, "oneHot", "label -2");
        e = assertThrows(IllegalArgumentException.class, () -> CpuIndexing.oneHot(labels, 6, 3));
        assertMentions(e, "oneHot", "axis 3", "rank 3");
        e = assertThrows(IllegalArgumentException.class, () -> CpuIndexing.oneHot(labels, 0, 1));
        assertMentions(e, "oneHot", "classes");
        e = assertThrows(IllegalArgumentException.class, () -> CpuIndexing.oneHot(NDArrays.zeros(2, 2), 3, 1));
        assertMentions(e, "oneHot", "labels", "int32", "float32");
    }
}
