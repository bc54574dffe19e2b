package org.layerensembles.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layerensembles.core.cpu.Inputs.array;
import static org.layerensembles.core.cpu.Inputs.map;
import static org.layerensembles.core.cpu.Inputs.strided;
import static org.layerensembles.core.cpu.Inputs.values;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Backends;
import org.layerensembles.core.backend.ReduceOp;
import org.layerensembles.core.reference.ReductionRef;
import org.layerensembles.core.testing.Compare;

/**
 * Fast reductions against the double-precision twin ({@link ReductionRef}).
 *
 * <p>Tolerances: sums are accumulated in double and rounded to float32 once, so a SUM or MEAN
 * must be within one float rounding of the exact value: atol 1e-6 (for sums that cancel to near
 * 0) + rtol 1e-6 (about 16 ulp; one rounding is 6e-8). A plain float32 running sum of 10^6
 * elements in [0, 1) is off by about 1e-4 relative, so {@link #sumOfAMillionIsAccurate} would
 * catch one. MAX, MIN and argmax are exact.
 */
class ReductionsTest {
    private static final Backend B = Backends.cpu();
    private static final double ATOL = 1e-6;
    private static final double RTOL = 1e-6;

    /** {shape, axes...}; a missing axes list means "all". Rows, columns, both, views of extent 1. */
    private static final int[][][] CASES = {
        {{7}}, {{1000}}, {{1}}, {{}}, {{33, 5}, {0}}, {{33, 5}, {1}}, {{33, 5}, {-1}}, {{33, 5}, {0, 1}},
        {{2, 3, 4, 5}, {0, 2, 3}}, {{2, 3, 4, 5}, {1}}, {{2, 3, 4, 5}, {0}}, {{2, 3, 4, 5}, {3}},
        {{2, 3, 4, 5}, {1, 3}}, {{2, 3, 4, 5}, {0, 1}}, {{2, 3, 4, 5}, {-3, -1}}, {{2, 3, 4, 5}},
        {{3, 1, 4}, {1}}, {{2, 1, 5}, {0}}, {{3, 2000}, {0}}, {{3, 2000}, {1}}, {{2, 1500, 7}, {1}},
        {{4, 70000}, {1}}, {{70000, 3}, {0}}, {{100003}}, {{5, 40, 3, 33}, {0, 2}}, {{2, 2, 9, 9}, {0}},
    };

    @Test
    void reduceMatchesTwin() {
        long seed = 1;
        for (int[][] c : CASES) {
            int[] shape = c[0];
            int[] axes = c.length > 1 ? c[1] : null;
            double[] x = values(seed++, (int) Shapes.numel(shape), -1, 1);
            NDArray contiguous = array(x, shape);
            NDArray view = strided(contiguous);
            for (ReduceOp op : ReduceOp.values()) {
                for (boolean keep : new boolean[] {false, true}) {
                    String what = op + " " + Shapes.str(shape) + " axes " + Arrays.toString(axes) + " keep " + keep;
                    double[] expected = ReductionRef.reduce(op, x, shape, axes, keep);
                    int[] outShape = ReductionRef.reducedShape(shape, axes, keep);
                    NDArray fast = B.reduce(op, contiguous, axes, keep);
                    assertArrayEquals(outShape, fast.shape(), what);
                    double tol = op == ReduceOp.MAX || op == ReduceOp.MIN ? 0 : RTOL;
                    Compare.assertClose(what, expected, fast, tol == 0 ? 0 : ATOL, tol);
                    Compare.assertClose(what + " strided", expected, B.reduce(op, view, axes, keep),
                            tol == 0 ? 0 : ATOL, tol);
                }
            }
        }
    }

    @Test
    void sumOfAMillionIsAccurate() {
        int n = 1_000_000;
        double[] x = values(42, n, 0, 1);
        NDArray a = array(x, n);
        double exact = ReductionRef.reduce(ReduceOp.SUM, x, new int[] {n}, null, false)[0];
        double sum = B.reduce(ReduceOp.SUM, a, null, false).toFloatArray()[0];
        double mean = B.reduce(ReduceOp.MEAN, a, null, false).toFloatArray()[0];
        // One float32 rounding of the exact value is at most 2^-24 relative (6e-8).
        assertEquals(exact, sum, exact * 1.2e-7, "sum of 1e6");
        assertEquals(exact / n, mean, exact / n * 1.2e-7, "mean of 1e6");
        // Same along an axis, rows and columns.
        NDArray rows = a.reshape(4, 250_000);
        Compare.assertClose("sum of rows", ReductionRef.reduce(ReduceOp.SUM, x, new int[] {4, 250_000}, new int[] {1},
                false), B.reduce(ReduceOp.SUM, rows, new int[] {1}, false), 0, 1.2e-7);
        NDArray cols = a.reshape(250_000, 4);
        Compare.assertClose("sum of columns", ReductionRef.reduce(ReduceOp.SUM, x, new int[] {250_000, 4},
                new int[] {0}, false), B.reduce(ReduceOp.SUM, cols, new int[] {0}, false), 0, 1.2e-7);
    }

    /** Same inputs, 1 or 2 worker threads: bit-identical results (fixed chunking, ordered combination). */
    @Test
    void resultsDoNotDependOnTheThreadCount() {
        int n = 1_000_003;
        NDArray x = array(values(7, n, -1, 1), n);
        // Whole sum in 16 pieces; rows cut into pieces; columns cut into pieces; rows of two
        // reduced groups; columns and rows without pieces.
        int[][][] cases = {{{n}}, {{3, 100_000}, {1}}, {{40_000, 7}, {0}}, {{3, 300, 333}, {0, 2}},
                           {{500, 500}, {0}}, {{500, 500}, {1}}, {{7, 3000}, {0}}};
        try {
            for (int[][] c : cases) {
                NDArray in = c[0][0] == n ? x : x.slice(0, 0, (int) Shapes.numel(c[0])).reshape(c[0]);
                int[] axes = c.length > 1 ? c[1] : null;
                NDArray[][] results = new NDArray[2][];
                for (int t = 1; t <= 2; t++) {
                    Parallel.setThreads(t);
                    results[t - 1] = new NDArray[] {B.reduce(ReduceOp.SUM, in, axes, false),
                                                    B.reduce(ReduceOp.MEAN, in, axes, false),
                                                    B.reduce(ReduceOp.MAX, in, axes, false)};
                }
                for (int k = 0; k < 3; k++) {
                    Compare.assertIdentical("1 vs 2 threads " + Shapes.str(c[0]) + " " + Arrays.toString(axes),
                            results[0][k], results[1][k]);
                }
            }
        } finally {
            Parallel.setThreads(Runtime.getRuntime().availableProcessors());
        }
    }

    @Test
    void nanWinsInMaxAndMin() {
        double[] x = values(3, 40, -1, 1);
        x[17] = Double.NaN;
        for (ReduceOp op : ReduceOp.values()) {
            Compare.assertClose(op + " with NaN", ReductionRef.reduce(op, x, new int[] {2, 20}, new int[] {1}, false),
                    B.reduce(op, array(x, 2, 20), new int[] {1}, false), 0, RTOL);
            Compare.assertClose(op + " with NaN, columns", ReductionRef.reduce(op, x, new int[] {20, 2},
                    new int[] {0}, false), B.reduce(op, array(x, 20, 2), new int[] {0}, false), 0, RTOL);
        }
    }

    @Test
    void emptyReductions() {
        NDArray empty = NDArrays.zeros(0, 3);
        assertArrayEquals(new float[] {0, 0, 0}, B.reduce(ReduceOp.SUM, empty, new int[] {0}, false).toFloatArray());
        assertTrue(Float.isNaN(B.reduce(ReduceOp.MEAN, empty, new int[] {0}, false).toFloatArray()[1]));
        assertArrayEquals(new int[] {0}, B.reduce(ReduceOp.SUM, empty, new int[] {1}, false).shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> B.reduce(ReduceOp.MAX, empty, new int[] {0}, false));
        assertTrue(e.getMessage().contains("reduce MAX") && e.getMessage().contains("[0, 3]"), e.getMessage());
    }

    @Test
    void argmaxMatchesTwin() {
        int[][] shapes = {{7}, {5, 33}, {3, 100}, {2, 4, 5, 7}, {2, 3, 20, 41}, {1}, {2, 1, 3}};
        long seed = 20;
        for (int[] shape : shapes) {
            // Coarse values so that ties are common: the first index must win.
            double[] x = map(values(seed++, (int) Shapes.numel(shape), -2, 2), v -> Math.round(v * 2) / 2.0);
            NDArray a = array(x, shape);
            for (int axis = -shape.length; axis < shape.length; axis++) {
                for (boolean keep : new boolean[] {false, true}) {
                    int[] expected = ReductionRef.argmax(x, shape, axis);
                    String what = "argmax " + Shapes.str(shape) + " axis " + axis + " keep " + keep;
                    NDArray fast = B.argmax(a, axis, keep);
                    assertEquals(DType.INT32, fast.dtype(), what);
                    assertArrayEquals(ReductionRef.reducedShape(shape, new int[] {axis}, keep), fast.shape(), what);
                    assertArrayEquals(expected, fast.toIntArray(), what);
                    assertArrayEquals(expected, B.argmax(strided(a), axis, keep).toIntArray(), what + " strided");
                }
            }
        }
    }

    @Test
    void argmaxTakesTheFirstNaN() {
        double[] x = values(5, 2 * 3 * 50, -1, 1);
        x[10] = Double.NaN;      // row 0 along the last axis, position 10
        x[30] = Double.NaN;
        x[150 + 49] = Double.NaN; // last element of a row (scalar tail)
        int[] shape = {2, 3, 50};
        for (int axis = 0; axis < 3; axis++) {
            assertArrayEquals(ReductionRef.argmax(x, shape, axis), B.argmax(array(x, shape), axis, false).toIntArray(),
                    "axis " + axis);
        }
        assertEquals(10, B.argmax(array(x, shape), 2, false).toIntArray()[0]);
    }

    @Test
    void sumToMatchesTwin() {
        int[][][] pairs = {{{2, 3, 4}, {3, 1}}, {{2, 3, 4}, {4}}, {{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {}},
                           {{4, 1, 5}, {1, 1, 5}}, {{2, 3}, {1, 3}}, {{8, 6, 5, 5}, {6, 1, 1}}, {{3, 2}, {1, 1, 3, 2}}};
        long seed = 40;
        for (int[][] p : pairs) {
            if (p[1].length > p[0].length) {
                continue; // covered by the bad-input test
            }
            double[] x = values(seed++, (int) Shapes.numel(p[0]), -1, 1);
            double[] expected = ReductionRef.sumTo(x, p[0], p[1]);
            String what = "sumTo " + Shapes.str(p[0]) + " to " + Shapes.str(p[1]);
            NDArray a = array(x, p[0]);
            NDArray fast = B.sumTo(a, p[1]);
            assertArrayEquals(p[1], fast.shape(), what);
            assertTrue(fast != a, what + ": a new array");
            Compare.assertClose(what, expected, fast, ATOL, RTOL);
            Compare.assertClose(what + " strided", expected, B.sumTo(strided(a), p[1]), ATOL, RTOL);
        }
    }

    @Test
    void badInputIsRejectedWithTheOpAndShapes() {
        NDArray x = NDArrays.zeros(2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> B.reduce(ReduceOp.SUM, x, new int[] {2}, false));
        assertTrue(e.getMessage().contains("reduce SUM") && e.getMessage().contains("axis 2")
                && e.getMessage().contains("[2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> B.reduce(ReduceOp.MEAN, x, new int[] {1, -1}, false));
        assertTrue(e.getMessage().contains("reduce MEAN") && e.getMessage().contains("twice"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> B.reduce(ReduceOp.SUM, NDArrays.zeros(DType.INT32, 3), null, false));
        assertTrue(e.getMessage().contains("int32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> B.argmax(x, -3, false));
        assertTrue(e.getMessage().contains("argmax") && e.getMessage().contains("[2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> B.sumTo(x, 4));
        assertTrue(e.getMessage().contains("sumTo") && e.getMessage().contains("[2, 3]")
                && e.getMessage().contains("[4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> B.sumTo(x, 1, 2, 3));
        assertTrue(e.getMessage().contains("[1, 2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> B.sumTo(x, 3, 1));
        assertTrue(e.getMessage().contains("[3, 1]"), e.getMessage());
    }
}
