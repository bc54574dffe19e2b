package org.layerensembles.autograd.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.GradCheck;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.UnaryOp;
import org.layerensembles.core.reference.ElementwiseRef;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.reference.ReductionRef;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * {@link ElementwiseOps} against the double-precision twins of {@code ElementwiseRef}: forward,
 * the gradients the graph walk delivers against central finite differences of the twin
 * ({@link GradCheck}), and against the twin's analytic gradient ({@code binaryBackward},
 * {@code unaryBackward}, {@code clampBackward}).
 *
 * <p>Tolerances: atol 1e-5 + rtol 1e-4 throughout (GradCheck's defaults). One float32 op is
 * within a few ulp (~1e-7 relative) of the twin and a gradient chains two or three of them;
 * finite differences (h = 1e-6, in double) add ~1e-9. The margin covers sums of broadcast
 * gradients (up to 12 terms here) and the inputs' own float32 rounding in the twin.
 */
class ElementwiseOpsTest {
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;

    /** Broadcasting pairs: both ways of a [3,1]x[1,4] grid, scalars on either side, rank mismatch, equal shapes. */
    private static final List<int[][]> PAIRS = List.of(
            new int[][] {{3, 1}, {1, 4}},
            new int[][] {{}, {2, 3}},
            new int[][] {{2, 3}, {}},
            new int[][] {{4}, {2, 3, 4}},
            new int[][] {{2, 1, 4}, {3, 1}},
            new int[][] {{2, 3}, {2, 3}});

    private record Binary(String name, BinaryOp twin, BinaryOperator<Tensor> op, double aLo, double aHi,
                          double bLo, double bHi) {
    }

    /** Every differentiable binary op, with input ranges inside its domain (div: b away from 0; pow: a > 0). */
    private static final List<Binary> BINARIES = List.of(
            new Binary("add", BinaryOp.ADD, ElementwiseOps::add, -1, 1, -1, 1),
            new Binary("sub", BinaryOp.SUB, ElementwiseOps::sub, -1, 1, -1, 1),
            new Binary("mul", BinaryOp.MUL, ElementwiseOps::mul, -1, 1, -1, 1),
            new Binary("div", BinaryOp.DIV, ElementwiseOps::div, -1, 1, 0.5, 1.5),
            new Binary("pow", BinaryOp.POW, ElementwiseOps::pow, 0.5, 1.5, -1.5, 1.5),
            new Binary("maximum", BinaryOp.MAX, ElementwiseOps::maximum, -1, 1, -1, 1),
            new Binary("minimum", BinaryOp.MIN, ElementwiseOps::minimum, -1, 1, -1, 1));

    private record Unary(String name, UnaryOp twin, UnaryOperator<Tensor> op) {
    }

    private static final List<Unary> UNARIES = List.of(
            new Unary("neg", UnaryOp.NEG, ElementwiseOps::neg),
            new Unary("exp", UnaryOp.EXP, ElementwiseOps::exp),
            new Unary("log", UnaryOp.LOG, ElementwiseOps::log),
            new Unary("sqrt", UnaryOp.SQRT, ElementwiseOps::sqrt),
            new Unary("abs", UnaryOp.ABS, ElementwiseOps::abs),
            new Unary("relu", UnaryOp.RELU, ElementwiseOps::relu),
            new Unary("sigmoid", UnaryOp.SIGMOID, ElementwiseOps::sigmoid),
            new Unary("tanh", UnaryOp.TANH, ElementwiseOps::tanh));

    // ---- binary ops

    @Test
    void everyBinaryOpWithBroadcastingAgainstFiniteDifferences() {
        long seed = 1;
        for (Binary op : BINARIES) {
            for (int[][] pair : PAIRS) {
                int[] as = pair[0];
                int[] bs = pair[1];
                NDArray a = NDArrays.of(values(seed++, as, op.aLo, op.aHi), as);
                NDArray b = NDArrays.of(values(seed++, bs, op.bLo, op.bHi), bs);
                GradCheck.of(op.name + " " + Shapes.str(as) + " x " + Shapes.str(bs),
                        t -> op.op.apply(t[0], t[1]),
                        v -> ElementwiseRef.binary(op.twin, v[0], as, v[1], bs))
                        .tolerance(ATOL, RTOL).run(a, b);
            }
        }
    }

    @Test
    void everyBinaryOpWithBroadcastingAgainstAnalyticTwin() {
        long seed = 100;
        for (Binary op : BINARIES) {
            for (int[][] pair : PAIRS) {
                int[] as = pair[0];
                int[] bs = pair[1];
                double[] av = values(seed++, as, op.aLo, op.aHi);
                double[] bv = values(seed++, bs, op.bLo, op.bHi);
                Tensor a = Tensor.parameter(NDArrays.of(av, as));
                Tensor b = Tensor.parameter(NDArrays.of(bv, bs));
                Tensor y = op.op.apply(a, b);
                double[] w = upstream(seed++, y.shape());
                y.backward(NDArrays.of(w, y.shape()));
                double[][] expected = ElementwiseRef.binaryBackward(op.twin, av, as, bv, bs, w);
                String what = op.name + " " + Shapes.str(as) + " x " + Shapes.str(bs);
                Compare.assertClose(what + " dA", expected[0], a.grad(), ATOL, RTOL);
                Compare.assertClose(what + " dB", expected[1], b.grad(), ATOL, RTOL);
            }
        }
    }

    @Test
    void binaryOpsOnNonContiguousInputs() {
        long seed = 200;
        for (Binary op : BINARIES) {
            int[] as = {3, 4};
            int[] bs = {3, 4};
            NDArray a = shifted(TestData.nonContiguous(seed++, as), op.aLo, op.aHi);
            NDArray b = shifted(TestData.nonContiguous(seed++, bs), op.bLo, op.bHi);
            assertFalse(a.isContiguous());
            GradCheck.of(op.name + " non-contiguous", t -> op.op.apply(t[0], t[1]),
                    v -> ElementwiseRef.binary(op.twin, v[0], as, v[1], bs)).tolerance(ATOL, RTOL).run(a, b);
        }
    }

    @Test
    void onlyOneOperandDifferentiable() {
        int[] as = {3, 1};
        int[] bs = {1, 4};
        for (Binary op : BINARIES) {
            NDArray a = NDArrays.of(values(300, as, op.aLo, op.aHi), as);
            NDArray b = NDArrays.of(values(301, bs, op.bLo, op.bHi), bs);
            GradCheck check = GradCheck.of(op.name + " one side", t -> op.op.apply(t[0], t[1]),
                    v -> ElementwiseRef.binary(op.twin, v[0], as, v[1], bs)).tolerance(ATOL, RTOL);
            check.run(new NDArray[] {a, b}, new boolean[] {true, false});
            check.run(new NDArray[] {a, b}, new boolean[] {false, true});
        }
    }

    @Test
    void maximumAndMinimumSplitTiesEvenly() {
        NDArray av = NDArrays.of(new float[] {1, 2, 3}, 3);
        NDArray bv = NDArrays.of(new float[] {1, 5, 0}, 3);
        for (boolean isMax : new boolean[] {true, false}) {
            Tensor a = Tensor.parameter(av);
            Tensor b = Tensor.parameter(bv);
            Tensor y = isMax ? ElementwiseOps.maximum(a, b) : ElementwiseOps.minimum(a, b);
            y.backward(NDArrays.of(new float[] {2, 2, 2}, 3));
            double[] ga = isMax ? new double[] {1, 0, 2} : new double[] {1, 2, 0};
            double[] gb = isMax ? new double[] {1, 2, 0} : new double[] {1, 0, 2};
            Compare.assertClose((isMax ? "maximum" : "minimum") + " tie dA", ga, a.grad(), 0, 0);
            Compare.assertClose((isMax ? "maximum" : "minimum") + " tie dB", gb, b.grad(), 0, 0);
        }
    }

    @Test
    void powGradientWithRespectToTheExponentIsZeroAtZeroBase() {
        // d(a^b)/db = a^b ln a -> 0 as a -> 0 for b > 0 (and PyTorch's convention for b = 0);
        // d(a^b)/da = b a^(b-1) is 0 for b = 0 (a^0 is constant), PyTorch's convention too.
        Tensor a = Tensor.parameter(NDArrays.of(new float[] {0, 0, 0, 2}, 4));
        Tensor b = Tensor.parameter(NDArrays.of(new float[] {2, 0, 0.5f, 0}, 4));
        ElementwiseOps.pow(a, b).backward(NDArrays.ones(4));
        Compare.assertClose("pow dA", new double[] {0, 0, Double.POSITIVE_INFINITY, 0}, a.grad(), 0, 0);
        Compare.assertClose("pow dB", new double[] {0, 0, 0, Math.log(2)}, b.grad(), 1e-7, 1e-6);
    }

    // ---- unary ops

    @Test
    void everyUnaryOpAwayFromKinksAgainstFiniteDifferencesAndAnalyticTwin() {
        int[] shape = {2, 3, 4};
        long seed = 400;
        for (Unary op : UNARIES) {
            double[] xv = unaryInputs(op.twin, seed++, shape);
            NDArray x = NDArrays.of(xv, shape);
            GradCheck.of(op.name, t -> op.op.apply(t[0]), v -> ElementwiseRef.unary(op.twin, v[0]))
                    .tolerance(ATOL, RTOL).run(x);

            Tensor p = Tensor.parameter(x);
            Tensor y = op.op.apply(p);
            double[] w = upstream(seed++, shape);
            y.backward(NDArrays.of(w, shape));
            Compare.assertClose(op.name + " analytic", ElementwiseRef.unaryBackward(op.twin, xv, w), p.grad(), ATOL,
                    RTOL);
        }
    }

    @Test
    void unaryOpsOnNonContiguousInputs() {
        int[] shape = {3, 5};
        long seed = 500;
        for (Unary op : UNARIES) {
            NDArray x = TestData.nonContiguous(seed++, shape);
            x = switch (op.twin) {
                case LOG, SQRT -> shifted(x, 0.2, 2);
                case ABS, RELU -> awayFromZero(x);
                default -> x;
            };
            assertFalse(x.isContiguous());
            GradCheck.of(op.name + " non-contiguous", t -> op.op.apply(t[0]), v -> ElementwiseRef.unary(op.twin, v[0]))
                    .tolerance(ATOL, RTOL).run(x);
        }
    }

    @Test
    void absAndReluHaveZeroGradientAtZero() {
        for (Unary op : List.of(UNARIES.get(4), UNARIES.get(5))) {
            Tensor x = Tensor.parameter(NDArrays.of(new float[] {-1, 0, 1}, 3));
            op.op.apply(x).backward(NDArrays.ones(3));
            double[] expected = op.twin == UnaryOp.ABS ? new double[] {-1, 0, 1} : new double[] {0, 0, 1};
            Compare.assertClose(op.name + " at the kink", expected, x.grad(), 0, 0);
        }
    }

    // ---- clamp, where

    @Test
    void clampAwayFromItsBoundsAndAtThem() {
        int[] shape = {3, 4};
        double[] xv = values(600, shape, -1, 1);
        for (int i = 0; i < xv.length; i++) {
            if (Math.abs(Math.abs(xv[i]) - 0.5) < 0.01) {
                xv[i] = 0; // keep finite differences off the kinks at +-0.5
            }
        }
        GradCheck.of("clamp", t -> ElementwiseOps.clamp(t[0], -0.5, 0.5), v -> ElementwiseRef.clamp(v[0], -0.5, 0.5))
                .tolerance(ATOL, RTOL).run(NDArrays.of(xv, shape));
        GradCheck.of("clamp non-contiguous", t -> ElementwiseOps.clamp(t[0], -0.5, 0.5),
                v -> ElementwiseRef.clamp(v[0], -0.5, 0.5)).tolerance(ATOL, RTOL)
                .run(TestData.nonContiguous(601, shape));

        Tensor x = Tensor.parameter(NDArrays.of(xv, shape));
        double[] w = upstream(602, shape);
        ElementwiseOps.clamp(x, -0.5, 0.5).backward(NDArrays.of(w, shape));
        Compare.assertClose("clamp analytic", ElementwiseRef.clampBackward(xv, w, -0.5, 0.5), x.grad(), ATOL, RTOL);

        // At the bounds themselves the gradient passes (min <= x <= max).
        Tensor e = Tensor.parameter(NDArrays.of(new float[] {-0.5f, 0.5f, 0.7f, -0.7f}, 4));
        ElementwiseOps.clamp(e, -0.5, 0.5).backward(NDArrays.ones(4));
        Compare.assertClose("clamp at bounds", new double[] {1, 1, 0, 0}, e.grad(), 0, 0);
    }

    @Test
    void whereWithBroadcasting() {
        int[] cs = {2, 3};
        int[] as = {2, 1};
        int[] bs = {3};
        double[] cond = {1, 0, 1, 0, 0, 1};
        NDArray c = NDArrays.of(cond, cs);
        NDArray a = NDArrays.of(values(700, as, -1, 1), as);
        NDArray b = NDArrays.of(values(701, bs, -1, 1), bs);
        GradCheck.of("where", t -> ElementwiseOps.where(t[0], t[1], t[2]),
                v -> ElementwiseRef.where(v[0], cs, v[1], as, v[2], bs)).tolerance(ATOL, RTOL)
                .run(new NDArray[] {c, a, b}, new boolean[] {false, true, true});

        // Analytic: a receives g where the condition holds, b elsewhere, each summed to its shape.
        Tensor ta = Tensor.parameter(a);
        Tensor tb = Tensor.parameter(b);
        double[] w = upstream(702, cs);
        ElementwiseOps.where(Tensor.constant(c), ta, tb).backward(NDArrays.of(w, cs));
        double[] zeros = new double[w.length];
        Compare.assertClose("where dA", ReductionRef.sumTo(ElementwiseRef.where(cond, cs, w, cs, zeros, cs), cs, as),
                ta.grad(), ATOL, RTOL);
        Compare.assertClose("where dB", ReductionRef.sumTo(ElementwiseRef.where(cond, cs, zeros, cs, w, cs), cs, bs),
                tb.grad(), ATOL, RTOL);

        // An int32 condition works the same.
        GradCheck.of("where int32 condition", t -> ElementwiseOps.where(t[0], t[1], t[2]),
                v -> ElementwiseRef.where(v[0], cs, v[1], as, v[2], bs)).tolerance(ATOL, RTOL)
                .run(new NDArray[] {NDArrays.of(new int[] {1, 0, 1, 0, 0, 1}, cs), a, b},
                        new boolean[] {false, true, true});
    }

    @Test
    void whereConditionComputedFromParametersGetsNoGradient() {
        // The condition is not differentiated, even when it was computed by a recorded op.
        Tensor x = Tensor.parameter(NDArrays.of(new float[] {-1, 2, -3, 4}, 4));
        Tensor cond = ElementwiseOps.relu(x); // requires grad, non-zero where x > 0
        Tensor a = Tensor.parameter(NDArrays.of(new float[] {1, 1, 1, 1}, 4));
        Tensor b = Tensor.parameter(NDArrays.of(new float[] {2, 2, 2, 2}, 4));
        Tensor y = ElementwiseOps.where(cond, a, b);
        y.backward(NDArrays.of(new float[] {1, 2, 3, 4}, 4));
        Compare.assertClose("where dA", new double[] {0, 2, 0, 4}, a.grad(), 0, 0);
        Compare.assertClose("where dB", new double[] {1, 0, 3, 0}, b.grad(), 0, 0);
        assertNull(x.grad(), "no gradient flows into the condition");

        // A condition that is the only input requiring a gradient gives an output that requires none.
        Tensor onlyCond = ElementwiseOps.where(cond, Tensor.constant(NDArrays.ones(4)), Tensor.constant(NDArrays.zeros(4)));
        assertFalse(onlyCond.requiresGrad());
    }

    // ---- scalar variants

    @Test
    void scalarVariants() {
        int[] shape = {2, 3};
        NDArray x = NDArrays.of(values(800, shape, -1, 1), shape);
        NDArray positive = NDArrays.of(values(801, shape, 0.5, 1.5), shape);
        GradCheck.of("add scalar", t -> ElementwiseOps.add(t[0], 0.75), v -> map(v[0], e -> e + 0.75))
                .tolerance(ATOL, RTOL).run(x);
        GradCheck.of("mul scalar", t -> ElementwiseOps.mul(t[0], -1.5), v -> map(v[0], e -> e * -1.5))
                .tolerance(ATOL, RTOL).run(x);
        GradCheck.of("pow scalar 3", t -> ElementwiseOps.pow(t[0], 3), v -> map(v[0], e -> Math.pow(e, 3)))
                .tolerance(ATOL, RTOL).run(x);
        GradCheck.of("pow scalar 2 (negative base)", t -> ElementwiseOps.pow(t[0], 2), v -> map(v[0], e -> e * e))
                .tolerance(ATOL, RTOL).run(x);
        GradCheck.of("pow scalar -0.5", t -> ElementwiseOps.pow(t[0], -0.5), v -> map(v[0], e -> Math.pow(e, -0.5)))
                .tolerance(ATOL, RTOL).run(positive);
    }

    // ---- comparisons

    @Test
    void comparisonsHaveNoGradient() {
        int[] as = {3, 1};
        int[] bs = {1, 4};
        double[] av = {-1, 0.5, 2};
        double[] bv = {0.5, -1, 2, 3};
        Tensor a = Tensor.parameter(NDArrays.of(av, as));
        Tensor b = Tensor.parameter(NDArrays.of(bv, bs));
        record Cmp(String name, BinaryOp twin, BinaryOperator<Tensor> op) {
        }
        for (Cmp cmp : List.of(new Cmp("gt", BinaryOp.GT, ElementwiseOps::gt), new Cmp("ge", BinaryOp.GE, ElementwiseOps::ge),
                new Cmp("lt", BinaryOp.LT, ElementwiseOps::lt), new Cmp("le", BinaryOp.LE, ElementwiseOps::le),
                new Cmp("eq", BinaryOp.EQ, ElementwiseOps::eq))) {
            Tensor y = cmp.op.apply(a, b);
            assertFalse(y.requiresGrad(), cmp.name + " must not require a gradient");
            assertTrue(y.isLeaf(), cmp.name + " records no node");
            Compare.assertClose(cmp.name, ElementwiseRef.binary(cmp.twin, av, as, bv, bs), y.data(), 0, 0);
        }
        // Used as a mask, a comparison passes gradient only through the other factor.
        Tensor x = Tensor.parameter(NDArrays.of(new float[] {-1, 2, -3, 4}, 4));
        Tensor masked = ElementwiseOps.mul(x, ElementwiseOps.gt(x, Tensor.constant(NDArrays.scalar(0))));
        masked.backward(NDArrays.of(new float[] {5, 6, 7, 8}, 4));
        Compare.assertClose("mask gradient", new double[] {0, 6, 0, 8}, x.grad(), 0, 0);
    }

    // ---- graphs

    @Test
    void opUsedTwiceAddsGradients() {
        int[] shape = {2, 3};
        NDArray x = NDArrays.of(values(900, shape, -1, 1), shape);
        GradCheck.of("mul(x, x)", t -> ElementwiseOps.mul(t[0], t[0]), v -> map(v[0], e -> e * e))
                .tolerance(ATOL, RTOL).run(x);
        GradCheck.of("add(x, x)", t -> ElementwiseOps.add(t[0], t[0]), v -> map(v[0], e -> 2 * e))
                .tolerance(ATOL, RTOL).run(x);
        // x used by two ops whose results meet again: x * exp(x) + tanh(x).
        GradCheck.of("x*exp(x) + tanh(x)",
                t -> ElementwiseOps.add(ElementwiseOps.mul(t[0], ElementwiseOps.exp(t[0])), ElementwiseOps.tanh(t[0])),
                v -> map(v[0], e -> e * Math.exp(e) + Math.tanh(e))).tolerance(ATOL, RTOL).run(x);
    }

    @Test
    void chainOfSeveralOpsWithBroadcasting() {
        // sigmoid((a * b - c) / d) ^ 2, with a [3,1], b [1,4], c [], d [4].
        int[] as = {3, 1};
        int[] bs = {1, 4};
        int[] cs = {};
        int[] ds = {4};
        int[] out = {3, 4};
        NDArray a = NDArrays.of(values(1000, as, -1, 1), as);
        NDArray b = NDArrays.of(values(1001, bs, -1, 1), bs);
        NDArray c = NDArrays.of(values(1002, cs, -1, 1), cs);
        NDArray d = NDArrays.of(values(1003, ds, 0.5, 1.5), ds);
        GradCheck.of("chain", t -> ElementwiseOps.pow(ElementwiseOps.sigmoid(ElementwiseOps.div(
                        ElementwiseOps.sub(ElementwiseOps.mul(t[0], t[1]), t[2]), t[3])), 2),
                v -> {
                    double[] ab = ElementwiseRef.binary(BinaryOp.MUL, v[0], as, v[1], bs);
                    double[] abc = ElementwiseRef.binary(BinaryOp.SUB, ab, out, v[2], cs);
                    double[] q = ElementwiseRef.binary(BinaryOp.DIV, abc, out, v[3], ds);
                    return map(ElementwiseRef.unary(UnaryOp.SIGMOID, q), e -> e * e);
                }).tolerance(ATOL, RTOL).run(a, b, c, d);
    }

    @Test
    void gradientsAccumulateOverTwoBackwardPasses() {
        Tensor x = Tensor.parameter(NDArrays.of(new float[] {1, 2}, 2));
        ElementwiseOps.mul(x, 3).backward(NDArrays.ones(2));
        ElementwiseOps.mul(x, 3).backward(NDArrays.ones(2));
        Compare.assertClose("accumulated", new double[] {6, 6}, x.grad(), 0, 0);
        assertEquals(2, x.grad().numel());
    }

    // ---- helpers

    /** Values uniform in [lo, hi), exactly representable as float32. */
    static double[] values(long seed, int[] shape, double lo, double hi) {
        return map(TestData.uniform(seed, (int) Shapes.numel(shape)), u -> (float) (lo + (u + 1) / 2 * (hi - lo)));
    }

    /** The upstream gradient used for an analytic check: uniform in [-1, 1). */
    static double[] upstream(long seed, int[] shape) {
        return TestData.uniform(seed, (int) Shapes.numel(shape));
    }

    private static double[] unaryInputs(UnaryOp op, long seed, int[] shape) {
        double[] d = values(seed, shape, -2, 2);
        return switch (op) {
            case LOG, SQRT -> map(d, v -> (float) (Math.abs(v) + 0.2));
            case ABS, RELU -> map(d, v -> (float) (v >= 0 ? v + 0.1 : v - 0.1));
            default -> d;
        };
    }

    /** The same view, its values (uniform in [-1, 1)) mapped in place to [lo, hi). */
    private static NDArray shifted(NDArray view, double lo, double hi) {
        return rewrite(view, u -> (float) (lo + (u + 1) / 2 * (hi - lo)));
    }

    private static NDArray awayFromZero(NDArray view) {
        return rewrite(view, u -> (float) (u >= 0 ? u + 0.1 : u - 0.1));
    }

    private static NDArray rewrite(NDArray view, java.util.function.DoubleUnaryOperator f) {
        double[] v = RefArrays.doubles(view);
        int[] shape = view.shape();
        for (int i = 0; i < v.length; i++) {
            view.setFloat((float) f.applyAsDouble(v[i]), RefArrays.unflat(shape, i));
        }
        return view;
    }

    static double[] map(double[] x, java.util.function.DoubleUnaryOperator f) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = f.applyAsDouble(x[i]);
        }
        return y;
    }
}
