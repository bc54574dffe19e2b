package org.layerensembles.autograd.ops;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.layerensembles.autograd.ops.ElementwiseOpsTest.map;
import static org.layerensembles.autograd.ops.ElementwiseOpsTest.upstream;
import static org.layerensembles.autograd.ops.ElementwiseOpsTest.values;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.GradCheck;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.reference.ElementwiseRef;
import org.layerensembles.core.reference.MatmulRef;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.reference.ReductionRef;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * {@link LinalgOps#matmul} against the twin {@code MatmulRef.matmul}: forward, gradients against
 * central finite differences of the twin ({@link GradCheck}), and against the analytic gradient
 * computed by the twin in double: dA = g · B^T and dB = A^T · g (transposed forms for
 * transposed operands), summed back over broadcast batch dimensions with
 * {@code ReductionRef.sumTo}.
 *
 * <p>Tolerances: atol 1e-5 + rtol 1e-4. Every product here sums at most 5 float32 terms of
 * magnitude <= 1 (about 5 * 2^-24 of error), a gradient at most 2 * 5 * 5 = 50 of them;
 * finite differences (h = 1e-6, double) add ~1e-9.
 */
class LinalgOpsTest {
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;

    /** {aShape, bShape} of the untransposed operands [..., M, K] x [..., K, N]. */
    private static final List<int[][]> CASES = List.of(
            new int[][] {{3, 4}, {4, 5}},
            new int[][] {{2, 3, 4}, {2, 4, 5}},
            new int[][] {{2, 3, 4}, {4, 5}},          // a batch against a matrix (x . W): the folded dB
            new int[][] {{3, 4}, {2, 4, 5}},          // a matrix against a batch
            new int[][] {{1, 3, 4}, {2, 4, 5}},       // batch extent 1 broadcasts
            new int[][] {{2, 1, 3, 4}, {3, 4, 5}},    // both operands broadcast: out [2, 3, 3, 5]
            new int[][] {{1, 1}, {1, 1}});

    @Test
    void everyTransposeCombinationWithBroadcastBatchesAgainstFiniteDifferences() {
        long seed = 1;
        for (int[][] c : CASES) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    int[] as = stored(c[0], ta);
                    int[] bs = stored(c[1], tb);
                    NDArray a = NDArrays.of(values(seed++, as, -1, 1), as);
                    NDArray b = NDArrays.of(values(seed++, bs, -1, 1), bs);
                    GradCheck.of(name(as, bs, ta, tb), t -> LinalgOps.matmul(t[0], t[1], ta, tb),
                            v -> MatmulRef.matmul(v[0], as, v[1], bs, ta, tb)).tolerance(ATOL, RTOL).run(a, b);
                }
            }
        }
    }

    @Test
    void everyTransposeCombinationWithBroadcastBatchesAgainstAnalyticTwin() {
        long seed = 100;
        for (int[][] c : CASES) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    int[] as = stored(c[0], ta);
                    int[] bs = stored(c[1], tb);
                    double[] av = values(seed++, as, -1, 1);
                    double[] bv = values(seed++, bs, -1, 1);
                    Tensor a = Tensor.parameter(NDArrays.of(av, as));
                    Tensor b = Tensor.parameter(NDArrays.of(bv, bs));
                    Tensor y = LinalgOps.matmul(a, b, ta, tb);
                    double[] w = upstream(seed++, y.shape());
                    y.backward(NDArrays.of(w, y.shape()));
                    double[][] expected = analytic(av, as, bv, bs, ta, tb, w, y.shape());
                    String what = name(as, bs, ta, tb);
                    Compare.assertClose(what + " dA", expected[0], a.grad(), ATOL, RTOL);
                    Compare.assertClose(what + " dB", expected[1], b.grad(), ATOL, RTOL);
                }
            }
        }
    }

    @Test
    void plainOverloadIsTheUntransposedProduct() {
        int[] as = {2, 3};
        int[] bs = {3, 4};
        GradCheck.of("matmul(a, b)", t -> LinalgOps.matmul(t[0], t[1]),
                v -> MatmulRef.matmul(v[0], as, v[1], bs, false, false)).tolerance(ATOL, RTOL)
                .run(NDArrays.of(values(200, as, -1, 1), as), NDArrays.of(values(201, bs, -1, 1), bs));
    }

    @Test
    void onlyOneOperandDifferentiable() {
        long seed = 300;
        for (int[][] c : CASES) {
            int[] as = c[0];
            int[] bs = c[1];
            NDArray a = NDArrays.of(values(seed++, as, -1, 1), as);
            NDArray b = NDArrays.of(values(seed++, bs, -1, 1), bs);
            GradCheck check = GradCheck.of(name(as, bs, false, false) + " one side",
                    t -> LinalgOps.matmul(t[0], t[1]), v -> MatmulRef.matmul(v[0], as, v[1], bs, false, false))
                    .tolerance(ATOL, RTOL);
            check.run(new NDArray[] {a, b}, new boolean[] {true, false});
            check.run(new NDArray[] {a, b}, new boolean[] {false, true});
        }
    }

    @Test
    void nonContiguousOperands() {
        // Transposed buffers (TestData.nonContiguous), including the folded x . W case.
        long seed = 400;
        for (int[][] c : List.of(new int[][] {{3, 4}, {4, 5}}, new int[][] {{2, 3, 4}, {4, 5}},
                new int[][] {{2, 3, 4}, {2, 4, 5}})) {
            for (boolean tb : new boolean[] {false, true}) {
                int[] as = c[0];
                int[] bs = stored(c[1], tb);
                NDArray a = TestData.nonContiguous(seed++, as);
                NDArray b = TestData.nonContiguous(seed++, bs);
                assertFalse(a.isContiguous());
                assertFalse(b.isContiguous());
                GradCheck.of(name(as, bs, false, tb) + " non-contiguous", t -> LinalgOps.matmul(t[0], t[1], false, tb),
                        v -> MatmulRef.matmul(v[0], as, v[1], bs, false, tb)).tolerance(ATOL, RTOL).run(a, b);
            }
        }
        // A sliced view as A, and a non-contiguous upstream gradient.
        int[] as = {3, 4};
        int[] bs = {4, 2};
        NDArray wide = NDArrays.of(values(450, new int[] {3, 6}, -1, 1), 3, 6);
        NDArray a = wide.slice(1, 1, 5);
        double[] av = RefArrays.doubles(a);
        double[] bv = values(451, bs, -1, 1);
        Tensor ta = Tensor.parameter(a);
        Tensor tb = Tensor.parameter(NDArrays.of(bv, bs));
        NDArray g = TestData.nonContiguous(452, 3, 2);
        LinalgOps.matmul(ta, tb).backward(g);
        double[][] expected = analytic(av, as, bv, bs, false, false, RefArrays.doubles(g), new int[] {3, 2});
        Compare.assertClose("sliced A dA", expected[0], ta.grad(), ATOL, RTOL);
        Compare.assertClose("sliced A dB", expected[1], tb.grad(), ATOL, RTOL);
    }

    @Test
    void operandUsedTwiceAddsGradients() {
        int[] s = {3, 3};
        NDArray x = NDArrays.of(values(500, s, -1, 1), s);
        GradCheck.of("x . x", t -> LinalgOps.matmul(t[0], t[0]), v -> MatmulRef.matmul(v[0], s, v[0], s, false, false))
                .tolerance(ATOL, RTOL).run(x);
        int[] r = {3, 4};
        NDArray y = NDArrays.of(values(501, r, -1, 1), r);
        GradCheck.of("y^T . y", t -> LinalgOps.matmul(t[0], t[0], true, false),
                v -> MatmulRef.matmul(v[0], r, v[0], r, true, false)).tolerance(ATOL, RTOL).run(y);
        GradCheck.of("y . y^T", t -> LinalgOps.matmul(t[0], t[0], false, true),
                v -> MatmulRef.matmul(v[0], r, v[0], r, false, true)).tolerance(ATOL, RTOL).run(y);
    }

    @Test
    void chainTwoLayerPerceptron() {
        // tanh(x . W1 + b1) . W2^T with x batched [2, 3, 4], W1 [4, 5], b1 [5], W2 [2, 5].
        int[] xs = {2, 3, 4};
        int[] w1s = {4, 5};
        int[] b1s = {5};
        int[] w2s = {2, 5};
        int[] hs = {2, 3, 5};
        NDArray x = NDArrays.of(values(600, xs, -1, 1), xs);
        NDArray w1 = NDArrays.of(values(601, w1s, -1, 1), w1s);
        NDArray b1 = NDArrays.of(values(602, b1s, -1, 1), b1s);
        NDArray w2 = NDArrays.of(values(603, w2s, -1, 1), w2s);
        GradCheck.of("mlp", t -> LinalgOps.matmul(
                        ElementwiseOps.tanh(ElementwiseOps.add(LinalgOps.matmul(t[0], t[1]), t[2])), t[3], false, true),
                v -> {
                    double[] h = ElementwiseRef.binary(BinaryOp.ADD, MatmulRef.matmul(v[0], xs, v[1], w1s, false, false),
                            hs, v[2], b1s);
                    return MatmulRef.matmul(map(h, Math::tanh), hs, v[3], w2s, false, true);
                }).tolerance(ATOL, RTOL).run(x, w1, b1, w2);
    }

    /** The stored shape of an operand: the last two dimensions swapped when it is read transposed. */
    private static int[] stored(int[] shape, boolean transposed) {
        int[] s = shape.clone();
        if (transposed) {
            int r = s.length;
            s[r - 1] = shape[r - 2];
            s[r - 2] = shape[r - 1];
        }
        return s;
    }

    private static String name(int[] as, int[] bs, boolean ta, boolean tb) {
        return "matmul " + Shapes.str(as) + (ta ? "^T" : "") + " x " + Shapes.str(bs) + (tb ? "^T" : "");
    }

    /**
     * {dA, dB} computed by the twin, in double, on the untransposed operands: with A' = op(A),
     * B' = op(B), dA' = g . B'^T and dB' = A'^T . g, each transposed back when its operand was
     * read transposed and summed to its shape.
     */
    private static double[][] analytic(double[] av, int[] as, double[] bv, int[] bs, boolean ta, boolean tb,
                                       double[] g, int[] gs) {
        // d(op(A)) of shape [batch..., M, K]: g [.., M, N] times op(B)^T.
        int[] opBs = stored(bs, tb);
        int[] opAs = stored(as, ta);
        double[] opB = tb ? transposeLast(bv, bs) : bv;
        double[] opA = ta ? transposeLast(av, as) : av;
        double[] dOpA = MatmulRef.matmul(g, gs, opB, opBs, false, true);
        double[] dOpB = MatmulRef.matmul(opA, opAs, g, gs, true, false);
        int[] dOpAShape = MatmulRef.shape(gs, opBs, false, true);
        int[] dOpBShape = MatmulRef.shape(opAs, gs, true, false);
        double[] da = ReductionRef.sumTo(ta ? transposeLast(dOpA, dOpAShape) : dOpA, stored(dOpAShape, ta), as);
        double[] db = ReductionRef.sumTo(tb ? transposeLast(dOpB, dOpBShape) : dOpB, stored(dOpBShape, tb), bs);
        return new double[][] {da, db};
    }

    /** Row-major values of x (shape s) with its last two dimensions swapped. */
    private static double[] transposeLast(double[] x, int[] s) {
        int[] t = stored(s, true);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int[] at = RefArrays.unflat(s, i);
            int r = at.length;
            int tmp = at[r - 1];
            at[r - 1] = at[r - 2];
            at[r - 2] = tmp;
            out[RefArrays.flat(t, at)] = x[i];
        }
        return out;
    }
}
