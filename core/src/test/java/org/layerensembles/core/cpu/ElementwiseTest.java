package org.layerensembles.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layerensembles.core.cpu.Inputs.array;
import static org.layerensembles.core.cpu.Inputs.map;
import static org.layerensembles.core.cpu.Inputs.strided;
import static org.layerensembles.core.cpu.Inputs.values;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Backends;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.UnaryOp;
import org.layerensembles.core.reference.ElementwiseRef;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.FiniteDifferences;

/**
 * Fast elementwise kernels against the double-precision twin ({@link ElementwiseRef}).
 *
 * <p>Tolerances: one float32 op rounds to within 2^-24 relative; exp, log and tanh
 * ({@link ExpLog}) are within 2 ulp, pow (Math.pow in double) within 1, sigmoid chains three ops. So forward results must be
 * within atol 1e-6 + rtol 1e-6 (about 16 ulp) of the twin. Gradients made from a float32
 * forward output (y) carry its rounding too: atol 1e-6 + rtol 1e-5. Finite differences of the
 * twin (double, h = 1e-6, error O(h^2) plus roundoff ~1e-10) must match the twin's analytic
 * gradient within atol 1e-6 + rtol 1e-6.
 */
class ElementwiseTest {
    private static final Backend B = Backends.cpu();
    private static final double ATOL = 1e-6;
    private static final double RTOL = 1e-6;
    private static final double H = 1e-6;

    /** Odd sizes around the vector width, a 4-D shape, one spanning several parallel tasks. */
    private static final List<int[]> SHAPES = List.of(new int[] {1}, new int[] {7}, new int[] {33},
            new int[] {1000}, new int[] {2, 3, 5, 7}, new int[] {3, 17, 1001});

    /** Inputs that avoid the kinks and the domain edges of each op. */
    private static double[] inputs(UnaryOp op, long seed, int n) {
        double[] d = values(seed, n, -3, 3);
        return switch (op) {
            case LOG, SQRT -> map(d, v -> Math.abs(v) + 0.05);
            case ABS, RELU -> map(d, v -> v >= 0 ? v + 0.05 : v - 0.05);
            default -> d;
        };
    }

    @Test
    void unaryMatchesTwinOnContiguousAndStridedInputs() {
        long seed = 1;
        for (UnaryOp op : UnaryOp.values()) {
            for (int[] shape : SHAPES) {
                double[] x = inputs(op, seed++, (int) Shapes.numel(shape));
                double[] expected = ElementwiseRef.unary(op, x);
                String what = op + " " + Shapes.str(shape);
                Compare.assertClose(what, expected, B.unary(op, array(x, shape)), ATOL, RTOL);
                Compare.assertClose(what + " strided", expected, B.unary(op, strided(array(x, shape))), ATOL, RTOL);
            }
        }
    }

    @Test
    void unaryEdgeValues() {
        double[] x = {0, -0.0, 1e-30, -100, 100, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN};
        for (UnaryOp op : UnaryOp.values()) {
            double[] expected = map(ElementwiseRef.unary(op, x), v -> v);
            Compare.assertClose(op + " edges", expected, B.unary(op, array(x, x.length)), 1e-30, RTOL);
        }
    }

    @Test
    void unaryBackwardTwinMatchesFiniteDifferences() {
        long seed = 100;
        for (UnaryOp op : UnaryOp.values()) {
            double[] x = inputs(op, seed++, 37);
            double[] w = values(seed++, 37, -1, 1); // upstream gradient dL/dy
            double[] numeric = FiniteDifferences.gradient(
                    v -> FiniteDifferences.dot(w, ElementwiseRef.unary(op, v)), x.clone(), H);
            double[] analytic = ElementwiseRef.unaryBackward(op, x, w);
            Compare.assertClose(op + " twin gradient vs finite differences", numeric, analytic, new int[] {37}, 1e-6,
                    1e-6);
        }
    }

    @Test
    void unaryBackwardMatchesTwin() {
        long seed = 200;
        for (UnaryOp op : UnaryOp.values()) {
            for (int[] shape : SHAPES) {
                int n = (int) Shapes.numel(shape);
                double[] x = inputs(op, seed++, n);
                double[] g = values(seed++, n, -1, 1);
                NDArray xa = array(x, shape);
                NDArray y = B.unary(op, xa);
                double[] expected = ElementwiseRef.unaryBackward(op, x, g);
                String what = op + " backward " + Shapes.str(shape);
                Compare.assertClose(what, expected, B.unaryBackward(op, xa, y, array(g, shape)), ATOL, 1e-5);
                Compare.assertClose(what + " strided", expected,
                        B.unaryBackward(op, strided(xa), strided(y), strided(array(g, shape))), ATOL, 1e-5);
            }
        }
    }

    /** Pairs of operand shapes that broadcast, from trivial to per-channel. */
    private static final int[][][] PAIRS = {
        {{}, {2, 3}}, {{2, 3}, {}}, {{3, 1}, {1, 4}}, {{2, 1, 5}, {4, 1}}, {{4, 1}, {2, 1, 5}},
        {{7}, {7}}, {{33}, {33}}, {{1000}, {1000}}, {{7}, {1}}, {{1}, {1}}, {{}, {}},
        {{5, 7}, {7}}, {{5, 37}, {5, 1}}, {{2, 6, 5, 5}, {6, 1, 1}}, {{6, 1, 1}, {2, 6, 5, 5}},
        {{2, 3, 40, 40}, {3, 1, 1}}, {{4, 1, 3}, {1, 5, 1}}, {{2, 3, 4}, {2, 3, 4}}, {{3, 2, 1}, {3, 1, 9}},
        {{4, 90, 100}, {90, 1}}, // two parallel tasks, split inside a row
    };

    private static double[] operand(BinaryOp op, boolean first, long seed, int n) {
        double[] d = values(seed, n, -2, 2);
        if (op == BinaryOp.POW && first) {
            return map(d, v -> Math.abs(v) + 0.1);
        }
        if (op == BinaryOp.DIV && !first) {
            return map(d, v -> v >= 0 ? v + 0.25 : v - 0.25);
        }
        if (op.ordinal() >= BinaryOp.GT.ordinal() || op == BinaryOp.MAX || op == BinaryOp.MIN) {
            return map(d, v -> Math.round(v * 2) / 2.0); // coarse values: many ties
        }
        return d;
    }

    @Test
    void binaryBroadcastsLikeTheTwin() {
        long seed = 300;
        for (BinaryOp op : BinaryOp.values()) {
            for (int[][] pair : PAIRS) {
                double[] a = operand(op, true, seed++, (int) Shapes.numel(pair[0]));
                double[] b = operand(op, false, seed++, (int) Shapes.numel(pair[1]));
                double[] expected = ElementwiseRef.binary(op, a, pair[0], b, pair[1]);
                String what = op + " " + Shapes.str(pair[0]) + " with " + Shapes.str(pair[1]);
                NDArray fast = B.binary(op, array(a, pair[0]), array(b, pair[1]));
                assertArrayEquals(Shapes.broadcast("test", pair[0], pair[1]), fast.shape(), what);
                Compare.assertClose(what, expected, fast, ATOL, RTOL);
                Compare.assertClose(what + " strided", expected,
                        B.binary(op, strided(array(a, pair[0])), strided(array(b, pair[1]))), ATOL, RTOL);
            }
        }
    }

    @Test
    void binaryAcceptsBroadcastAndSlicedViews() {
        double[] a = values(1, 3 * 8, -1, 1);
        double[] b = values(2, 8, -1, 1);
        NDArray bView = array(b, 8).broadcastTo(3, 8);            // stride 0 rows
        NDArray aSlice = array(values(3, 5 * 8, -1, 1), 5, 8).slice(0, 1, 4); // offset view
        double[] aSliceValues = RefArrays.doubles(aSlice);
        Compare.assertClose("a + broadcast view", ElementwiseRef.binary(BinaryOp.ADD, a, new int[] {3, 8},
                b, new int[] {8}), B.binary(BinaryOp.ADD, array(a, 3, 8), bView), ATOL, RTOL);
        Compare.assertClose("slice * broadcast view", ElementwiseRef.binary(BinaryOp.MUL, aSliceValues,
                new int[] {3, 8}, b, new int[] {8}), B.binary(BinaryOp.MUL, aSlice, bView), ATOL, RTOL);
    }

    /**
     * The gradient of a broadcast binary op wrt each operand is the elementwise partial
     * derivative summed back to the operand's shape. Twin against finite differences, then the
     * fast kernels composed (binary ops, then sumTo) against the twin.
     */
    @Test
    void broadcastBinaryGradientsThroughSumTo() {
        int[][][] pairs = {{{2, 3, 4}, {3, 1}}, {{4, 1}, {2, 1, 5}}, {{2, 6, 3, 3}, {6, 1, 1}}, {{5}, {}}};
        BinaryOp[] ops = {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV, BinaryOp.POW, BinaryOp.MAX,
                          BinaryOp.MIN};
        long seed = 500;
        for (int[][] pair : pairs) {
            int[] as = pair[0];
            int[] bs = pair[1];
            int[] os = Shapes.broadcast("test", as, bs);
            for (BinaryOp op : ops) {
                double[] a = values(seed++, (int) Shapes.numel(as), 0.5, 1.5); // positive, for POW
                double[] b = values(seed++, (int) Shapes.numel(bs), 0.5, 1.5);
                double[] g = values(seed++, (int) Shapes.numel(os), -1, 1);
                double[][] analytic = ElementwiseRef.binaryBackward(op, a, as, b, bs, g);
                double[] numericA = FiniteDifferences.gradient(
                        v -> FiniteDifferences.dot(g, ElementwiseRef.binary(op, v, as, b, bs)), a.clone(), H);
                double[] numericB = FiniteDifferences.gradient(
                        v -> FiniteDifferences.dot(g, ElementwiseRef.binary(op, a, as, v, bs)), b.clone(), H);
                String what = op + " " + Shapes.str(as) + " with " + Shapes.str(bs);
                Compare.assertClose(what + " dL/da twin vs finite differences", numericA, analytic[0], as, 1e-6, 1e-6);
                Compare.assertClose(what + " dL/db twin vs finite differences", numericB, analytic[1], bs, 1e-6, 1e-6);
            }
            // Fast: d(a*b)/db = sumTo(g * a, bShape); d(a/b)/db = sumTo(-g * a / b^2, bShape).
            double[] a = values(seed++, (int) Shapes.numel(as), 0.5, 1.5);
            double[] b = values(seed++, (int) Shapes.numel(bs), 0.5, 1.5);
            double[] g = values(seed++, (int) Shapes.numel(os), -1, 1);
            NDArray fa = array(a, as);
            NDArray fb = array(b, bs);
            NDArray fg = array(g, os);
            double tol = 1e-6 * Math.sqrt(Shapes.numel(os));
            Compare.assertClose("fast d(a*b)/db " + Shapes.str(bs),
                    ElementwiseRef.binaryBackward(BinaryOp.MUL, a, as, b, bs, g)[1],
                    B.sumTo(B.binary(BinaryOp.MUL, fg, fa), bs), tol, 1e-5);
            Compare.assertClose("fast d(a*b)/da " + Shapes.str(as),
                    ElementwiseRef.binaryBackward(BinaryOp.MUL, a, as, b, bs, g)[0],
                    B.sumTo(B.binary(BinaryOp.MUL, fg, fb), as), tol, 1e-5);
            NDArray quotient = B.binary(BinaryOp.DIV, B.binary(BinaryOp.MUL, B.unary(UnaryOp.NEG, fg), fa),
                    B.binary(BinaryOp.MUL, fb, fb));
            Compare.assertClose("fast d(a/b)/db " + Shapes.str(bs),
                    ElementwiseRef.binaryBackward(BinaryOp.DIV, a, as, b, bs, g)[1], B.sumTo(quotient, bs), tol, 1e-5);
        }
    }

    @Test
    void clampAndItsGradient() {
        double[] x = values(7, 1001, -2, 2);
        double[] g = values(8, 1001, -1, 1);
        Compare.assertClose("clamp", ElementwiseRef.clamp(x, -0.5, 0.75), B.clamp(array(x, 7, 143), -0.5, 0.75), 0, 0);
        Compare.assertClose("clamp strided", ElementwiseRef.clamp(x, -0.5, 0.75),
                B.clamp(strided(array(x, 7, 143)), -0.5, 0.75), 0, 0);
        Compare.assertClose("clampBackward", ElementwiseRef.clampBackward(x, g, -0.5, 0.75),
                B.clampBackward(array(x, 1001), array(g, 1001), -0.5, 0.75), 0, 0);
        Compare.assertClose("clampBackward strided", ElementwiseRef.clampBackward(x, g, -0.5, 0.75),
                B.clampBackward(strided(array(x, 7, 143)), strided(array(g, 7, 143)), -0.5, 0.75), 0, 0);
        // Twin gradient vs finite differences, away from the two bounds.
        double[] away = map(values(9, 40, -2, 2), v -> Math.abs(v + 0.5) < 0.01 || Math.abs(v - 0.75) < 0.01 ? 0 : v);
        double[] w = values(10, 40, -1, 1);
        Compare.assertClose("clamp twin gradient vs finite differences",
                FiniteDifferences.gradient(v -> FiniteDifferences.dot(w, ElementwiseRef.clamp(v, -0.5, 0.75)),
                        away.clone(), H),
                ElementwiseRef.clampBackward(away, w, -0.5, 0.75), new int[] {40}, 1e-6, 1e-6);
    }

    @Test
    void whereBroadcastsAllThreeOperands() {
        int[][][] triples = {{{2, 3}, {2, 3}, {2, 3}}, {{3, 1}, {1, 4}, {}}, {{1000}, {1000}, {1}},
                             {{2, 1, 5}, {4, 1}, {5}}, {{2, 4, 33}, {2, 4, 33}, {2, 4, 33}}};
        long seed = 700;
        for (int[][] t : triples) {
            double[] c = map(values(seed++, (int) Shapes.numel(t[0]), -1, 1), v -> v > 0 ? 1 : 0);
            double[] a = values(seed++, (int) Shapes.numel(t[1]), -1, 1);
            double[] b = values(seed++, (int) Shapes.numel(t[2]), -1, 1);
            double[] expected = ElementwiseRef.where(c, t[0], a, t[1], b, t[2]);
            String what = "where " + Shapes.str(t[0]) + " " + Shapes.str(t[1]) + " " + Shapes.str(t[2]);
            Compare.assertClose(what, expected, B.where(array(c, t[0]), array(a, t[1]), array(b, t[2])), 0, 0);
            NDArray intCondition = B.cast(array(c, t[0]), DType.INT32);
            Compare.assertClose(what + " int condition", expected,
                    B.where(intCondition, array(a, t[1]), array(b, t[2])), 0, 0);
            Compare.assertClose(what + " strided", expected,
                    B.where(strided(intCondition), strided(array(a, t[1])), strided(array(b, t[2]))), 0, 0);
        }
        // int32 values; NaN and -0.0 conditions (NaN is nonzero, -0.0 is zero).
        NDArray cond = NDArrays.of(new float[] {Float.NaN, -0f, 2f}, 3);
        NDArray picked = B.where(cond, NDArrays.of(new int[] {1, 2, 3}, 3), NDArrays.of(new int[] {-1, -2, -3}, 3));
        assertEquals(DType.INT32, picked.dtype());
        assertArrayEquals(new int[] {1, -2, 3}, picked.toIntArray());
    }

    @Test
    void fillWritesViewsOnly() {
        NDArray base = NDArrays.zeros(4, 37);
        NDArray view = base.transpose(0, 1).slice(0, 3, 30); // [27, 4], strided
        B.fill(view, 2.5);
        float[] all = base.toFloatArray();
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 37; c++) {
                assertEquals(c >= 3 && c < 30 ? 2.5f : 0f, all[r * 37 + c], "at " + r + "," + c);
            }
        }
        NDArray contiguous = NDArrays.empty(DType.FLOAT32, 1001);
        B.fill(contiguous, -1.25);
        for (float v : contiguous.toFloatArray()) {
            assertEquals(-1.25f, v);
        }
        NDArray ints = NDArrays.empty(DType.INT32, 3, 33);
        B.fill(ints, -7);
        for (int v : ints.toIntArray()) {
            assertEquals(-7, v);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> B.fill(ints, 2.5));
        assertTrue(e.getMessage().contains("fill") && e.getMessage().contains("int32"), e.getMessage());
    }

    @Test
    void castTruncatesTowardZero() {
        double[] x = {-2.9, -1.5, -0.5, -0.0, 0.4, 1.0, 1.99, 1e10, -1e10, Double.NaN, 123456.7};
        double[] expected = ElementwiseRef.toInt32(map(x, v -> v));
        NDArray i = B.cast(array(x, x.length), DType.INT32);
        assertEquals(DType.INT32, i.dtype());
        int[] got = i.toIntArray();
        for (int k = 0; k < x.length; k++) {
            assertEquals((int) expected[k], got[k], "cast of " + x[k]);
        }
        double[] big = values(11, 1001, -1000, 1000);
        Compare.assertClose("cast to int32 strided", ElementwiseRef.toInt32(big),
                B.cast(strided(array(big, 7, 143)), DType.INT32), 0, 0);
        NDArray back = B.cast(B.cast(array(big, 1001), DType.INT32), DType.FLOAT32);
        assertEquals(DType.FLOAT32, back.dtype());
        Compare.assertClose("int32 to float32", ElementwiseRef.toInt32(big), back, 0, 0);
        NDArray same = array(big, 1001);
        NDArray copy = B.cast(same, DType.FLOAT32);
        assertTrue(copy != same, "cast to the same dtype returns a new array");
        Compare.assertIdentical("cast to the same dtype", same, copy);
    }

    @Test
    void badInputIsRejectedWithTheOpAndShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> B.binary(BinaryOp.MUL, NDArrays.zeros(2, 3), NDArrays.zeros(4)));
        assertTrue(e.getMessage().contains("binary MUL") && e.getMessage().contains("[2, 3]")
                && e.getMessage().contains("[4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> B.unary(UnaryOp.EXP, NDArrays.zeros(DType.INT32, 3)));
        assertTrue(e.getMessage().contains("unary EXP") && e.getMessage().contains("int32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> B.binary(BinaryOp.ADD, NDArrays.zeros(DType.INT32, 3), NDArrays.zeros(3)));
        assertTrue(e.getMessage().contains("binary ADD") && e.getMessage().contains("int32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> B.unaryBackward(UnaryOp.SIGMOID, NDArrays.zeros(3), null, NDArrays.zeros(3)));
        assertTrue(e.getMessage().contains("SIGMOID") && e.getMessage().contains("y"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> B.unaryBackward(UnaryOp.RELU, NDArrays.zeros(3), null, NDArrays.zeros(4)));
        assertTrue(e.getMessage().contains("[3]") && e.getMessage().contains("[4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> B.where(NDArrays.zeros(2, 3), NDArrays.zeros(3), NDArrays.zeros(2, 2)));
        assertTrue(e.getMessage().contains("where") && e.getMessage().contains("[2, 3]")
                && e.getMessage().contains("[2, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> B.where(NDArrays.zeros(3), NDArrays.zeros(3), NDArrays.zeros(DType.INT32, 3)));
        assertTrue(e.getMessage().contains("dtype"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> B.clamp(NDArrays.zeros(3), 1, 0));
        assertTrue(e.getMessage().contains("clamp"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> B.clampBackward(NDArrays.zeros(3), NDArrays.zeros(2), 0, 1));
        assertTrue(e.getMessage().contains("clampBackward") && e.getMessage().contains("[2]"), e.getMessage());
    }
}
