package org.layerensembles.autograd.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.layerensembles.autograd.ops.ElementwiseOpsTest.map;
import static org.layerensembles.autograd.ops.ElementwiseOpsTest.upstream;
import static org.layerensembles.autograd.ops.ElementwiseOpsTest.values;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.GradCheck;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.ReduceOp;
import org.layerensembles.core.backend.UnaryOp;
import org.layerensembles.core.reference.ElementwiseRef;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.reference.ReductionRef;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * {@link ReductionOps} against the twin {@code ReductionRef.reduce}: forward, gradients against
 * central finite differences of the twin ({@link GradCheck}), and against the analytic gradient
 * written out below from the twin's forward (the twin has no backward of its own): sum sends g
 * to every reduced position, mean g / n, max and min g / (number of ties) to the positions equal
 * to the result.
 *
 * <p>Tolerances: atol 1e-5 + rtol 1e-4. The backend sums in double and rounds once; gradients
 * are one float32 op (mean: one division, max/min: one division by an exact count);
 * finite differences (h = 1e-6, double) add ~1e-9. Ties are checked exactly.
 */
class ReductionOpsTest {
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;
    private static final int[] SHAPE = {2, 3, 4};

    /** Axes: all (null and empty), single, negative, several. */
    private static final List<int[]> AXES = Arrays.asList(null, new int[0], new int[] {0}, new int[] {-1},
            new int[] {1}, new int[] {0, 2});

    private record Reduction(String name, ReduceOp twin, Op op) {
    }

    @FunctionalInterface
    private interface Op {
        Tensor apply(Tensor x, int[] axes, boolean keepDims);
    }

    private static final List<Reduction> REDUCTIONS = List.of(
            new Reduction("sum", ReduceOp.SUM, ReductionOps::sum),
            new Reduction("mean", ReduceOp.MEAN, ReductionOps::mean),
            new Reduction("max", ReduceOp.MAX, ReductionOps::max),
            new Reduction("min", ReduceOp.MIN, ReductionOps::min));

    @Test
    void everyReductionOverAxesAgainstFiniteDifferences() {
        long seed = 1;
        for (Reduction r : REDUCTIONS) {
            for (int[] axes : AXES) {
                for (boolean keep : new boolean[] {false, true}) {
                    NDArray x = NDArrays.of(values(seed++, SHAPE, -1, 1), SHAPE);
                    String what = r.name + " axes " + Arrays.toString(axes) + " keepDims " + keep;
                    GradCheck.of(what, t -> r.op.apply(t[0], axes, keep),
                            v -> ReductionRef.reduce(r.twin, v[0], SHAPE, axes, keep)).tolerance(ATOL, RTOL).run(x);
                    Tensor y = r.op.apply(Tensor.constant(x), axes, keep);
                    assertArrayEquals(ReductionRef.reducedShape(SHAPE, axes, keep), y.shape(), what + " shape");
                }
            }
        }
    }

    @Test
    void everyReductionOverAxesAgainstAnalyticGradient() {
        long seed = 100;
        for (Reduction r : REDUCTIONS) {
            for (int[] axes : AXES) {
                for (boolean keep : new boolean[] {false, true}) {
                    double[] xv = values(seed++, SHAPE, -1, 1);
                    Tensor x = Tensor.parameter(NDArrays.of(xv, SHAPE));
                    Tensor y = r.op.apply(x, axes, keep);
                    double[] w = upstream(seed++, y.shape());
                    y.backward(NDArrays.of(w, y.shape()));
                    Compare.assertClose(r.name + " axes " + Arrays.toString(axes) + " keepDims " + keep + " analytic",
                            expectedGradient(r.twin, xv, SHAPE, axes, w), x.grad(), ATOL, RTOL);
                }
            }
        }
    }

    @Test
    void wholeTensorOverloadsGiveScalars() {
        NDArray x = NDArrays.of(values(200, SHAPE, -1, 1), SHAPE);
        record Whole(String name, ReduceOp twin, java.util.function.UnaryOperator<Tensor> op) {
        }
        for (Whole r : List.of(new Whole("sum", ReduceOp.SUM, ReductionOps::sum),
                new Whole("mean", ReduceOp.MEAN, ReductionOps::mean), new Whole("max", ReduceOp.MAX, ReductionOps::max),
                new Whole("min", ReduceOp.MIN, ReductionOps::min))) {
            assertArrayEquals(new int[0], r.op.apply(Tensor.constant(x)).shape(), r.name + "() shape");
            GradCheck.of(r.name + "()", t -> r.op.apply(t[0]), v -> ReductionRef.reduce(r.twin, v[0], SHAPE, null, false))
                    .tolerance(ATOL, RTOL).run(x);
        }
        // A rank-0 input reduces to itself.
        GradCheck.of("sum of a scalar", t -> ReductionOps.sum(t[0]), v -> v[0]).run(NDArrays.scalar(0.25f));
    }

    @Test
    void nonContiguousInputsAndUpstreamGradient() {
        int[] shape = {3, 4};
        long seed = 300;
        for (Reduction r : REDUCTIONS) {
            for (int[] axes : List.of(new int[] {0}, new int[] {1})) {
                NDArray x = TestData.nonContiguous(seed++, shape);
                assertFalse(x.isContiguous());
                GradCheck.of(r.name + " non-contiguous axes " + Arrays.toString(axes), t -> r.op.apply(t[0], axes, false),
                        v -> ReductionRef.reduce(r.twin, v[0], shape, axes, false)).tolerance(ATOL, RTOL).run(x);

                // A non-contiguous upstream gradient (the rules reshape it).
                Tensor p = Tensor.parameter(x);
                Tensor y = r.op.apply(p, axes, false);
                NDArray g = TestData.nonContiguous(seed++, y.shape());
                assertFalse(g.isContiguous());
                y.backward(g);
                Compare.assertClose(r.name + " strided upstream axes " + Arrays.toString(axes),
                        expectedGradient(r.twin, RefArrays.doubles(x), shape, axes, RefArrays.doubles(g)), p.grad(),
                        ATOL, RTOL);
            }
        }
    }

    @Test
    void maxAndMinSplitTheGradientEvenlyAmongTies() {
        // Rows: two tied maxima; all equal; a single maximum. Columns reduced (axis 1).
        float[] xv = {3, 1, 3, 2, 5, 5, 5, 5, -1, 4, 0, 2};
        for (boolean isMax : new boolean[] {true, false}) {
            float[] v = xv.clone();
            if (!isMax) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = -v[i];
                }
            }
            Tensor x = Tensor.parameter(NDArrays.of(v, 3, 4));
            Tensor y = isMax ? ReductionOps.max(x, new int[] {1}, false) : ReductionOps.min(x, new int[] {1}, false);
            Compare.assertClose("tie forward", new double[] {isMax ? 3 : -3, isMax ? 5 : -5, isMax ? 4 : -4}, y.data(),
                    0, 0);
            y.backward(NDArrays.of(new float[] {2, 4, 3}, 3));
            Compare.assertClose((isMax ? "max" : "min") + " ties", new double[] {1, 0, 1, 0, 1, 1, 1, 1, 0, 3, 0, 0},
                    x.grad(), 0, 0);
        }
        // Over all elements: the three 5s share the gradient.
        Tensor x = Tensor.parameter(NDArrays.of(new float[] {5, 1, 5, 5}, 2, 2));
        ReductionOps.max(x).backward();
        Compare.assertClose("max() ties", new double[] {1 / 3.0, 0, 1 / 3.0, 1 / 3.0}, x.grad(), 1e-7, 0);
    }

    @Test
    void argmaxIsNotDifferentiable() {
        double[] xv = values(400, SHAPE, -1, 1);
        Tensor x = Tensor.parameter(NDArrays.of(xv, SHAPE));
        for (int axis : new int[] {0, 1, -1}) {
            for (boolean keep : new boolean[] {false, true}) {
                Tensor idx = ReductionOps.argmax(x, axis, keep);
                assertFalse(idx.requiresGrad(), "argmax must not require a gradient");
                org.junit.jupiter.api.Assertions.assertEquals(DType.INT32, idx.dtype());
                int a = axis < 0 ? axis + SHAPE.length : axis;
                assertArrayEquals(ReductionRef.reducedShape(SHAPE, new int[] {a}, keep), idx.shape());
                int[] expected = ReductionRef.argmax(xv, SHAPE, axis);
                assertArrayEquals(expected, idx.data().toIntArray(), "argmax axis " + axis);
            }
        }
        // First index on ties.
        Tensor t = Tensor.constant(NDArrays.of(new float[] {1, 7, 7, 2}, 1, 4));
        assertArrayEquals(new int[] {1}, ReductionOps.argmax(t, 1, false).data().toIntArray());
    }

    @Test
    void inputUsedTwiceAddsGradients() {
        int[] shape = {3, 4};
        NDArray x = NDArrays.of(values(500, shape, -1, 1), shape);
        // x * sum(x, axis 1, keepDims): x reaches the output directly and through the sum.
        GradCheck.of("x * sum(x, 1)", t -> ElementwiseOps.mul(t[0], ReductionOps.sum(t[0], new int[] {1}, true)),
                v -> ElementwiseRef.binary(BinaryOp.MUL, v[0], shape,
                        ReductionRef.reduce(ReduceOp.SUM, v[0], shape, new int[] {1}, true), new int[] {3, 1}))
                .tolerance(ATOL, RTOL).run(x);
        // max(x) - min(x) + mean(x): three reductions of one input.
        GradCheck.of("max - min + mean", t -> ElementwiseOps.add(
                        ElementwiseOps.sub(ReductionOps.max(t[0]), ReductionOps.min(t[0])), ReductionOps.mean(t[0])),
                v -> new double[] {ReductionRef.reduce(ReduceOp.MAX, v[0], shape, null, false)[0]
                        - ReductionRef.reduce(ReduceOp.MIN, v[0], shape, null, false)[0]
                        + ReductionRef.reduce(ReduceOp.MEAN, v[0], shape, null, false)[0]})
                .tolerance(ATOL, RTOL).run(x);
    }

    @Test
    void chainLogSumExp() {
        // logsumexp along axis 1, stabilised: m + log(sum(exp(x - m))), m = max(x, 1, keepDims); then the mean.
        int[] shape = {3, 5};
        NDArray x = NDArrays.of(values(600, shape, -2, 2), shape);
        int[] axis = {1};
        GradCheck.of("mean(logsumexp)", t -> {
            Tensor m = ReductionOps.max(t[0], axis, true);
            Tensor s = ReductionOps.sum(ElementwiseOps.exp(ElementwiseOps.sub(t[0], m)), axis, true);
            return ReductionOps.mean(ElementwiseOps.add(ElementwiseOps.log(s), m));
        }, v -> {
            double[] lse = new double[3];
            for (int i = 0; i < 3; i++) {
                double s = 0;
                for (int j = 0; j < 5; j++) {
                    s += Math.exp(v[0][i * 5 + j]);
                }
                lse[i] = Math.log(s);
            }
            return new double[] {(lse[0] + lse[1] + lse[2]) / 3};
        }).tolerance(ATOL, RTOL).run(x);
        // The same through the unstabilised path gives the same gradient (max's gradient cancels).
        GradCheck.of("logsumexp unstabilised", t -> ReductionOps.sum(ElementwiseOps.log(
                        ReductionOps.sum(ElementwiseOps.exp(t[0]), axis, false))),
                v -> new double[] {Arrays.stream(ReductionRef.reduce(ReduceOp.SUM,
                        ElementwiseRef.unary(UnaryOp.EXP, v[0]), shape, axis, false)).map(Math::log).sum()})
                .tolerance(ATOL, RTOL).run(x);
    }

    /**
     * dL/dx of y = reduce(x) given w = dL/dy (in y's row-major order, which is the same with or
     * without keepDims): each x[i] reads the output k its kept indices name.
     */
    private static double[] expectedGradient(ReduceOp op, double[] x, int[] shape, int[] axes, double[] w) {
        int[] kept = ReductionRef.reducedShape(shape, axes, true);
        double[] y = ReductionRef.reduce(op, x, shape, axes, true);
        boolean[] reduced = ReductionRef.reducedAxes(shape.length, axes);
        long n = Shapes.numel(shape) / Shapes.numel(kept);
        int[] ties = new int[y.length];
        int[] target = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            int[] index = RefArrays.unflat(shape, i);
            for (int d = 0; d < shape.length; d++) {
                if (reduced[d]) {
                    index[d] = 0;
                }
            }
            target[i] = RefArrays.flat(kept, index);
            if (x[i] == y[target[i]]) {
                ties[target[i]]++;
            }
        }
        return map(indices(x.length), i -> {
            int k = target[(int) i];
            return switch (op) {
                case SUM -> w[k];
                case MEAN -> w[k] / n;
                case MAX, MIN -> x[(int) i] == y[k] ? w[k] / ties[k] : 0;
            };
        });
    }

    private static double[] indices(int n) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }
}
