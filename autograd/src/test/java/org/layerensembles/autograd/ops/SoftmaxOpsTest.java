package org.layerensembles.autograd.ops;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.layerensembles.autograd.ops.ElementwiseOpsTest.map;
import static org.layerensembles.autograd.ops.ElementwiseOpsTest.upstream;
import static org.layerensembles.autograd.ops.ElementwiseOpsTest.values;

import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.GradCheck;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.ReduceOp;
import org.layerensembles.core.reference.ElementwiseRef;
import org.layerensembles.core.reference.ReductionRef;
import org.layerensembles.core.reference.SoftmaxRef;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * {@link SoftmaxOps} against the twins of {@code SoftmaxRef}: forward, gradients against central
 * finite differences of the twin ({@link GradCheck}), and against the twin's analytic backward
 * ({@code softmaxBackward}, {@code logSoftmaxBackward}, given the twin's own forward output).
 *
 * <p>Tolerances: atol 1e-5 + rtol 1e-4. The kernels' exp and log are within a few ulp and a
 * line here sums at most 4 terms; finite differences (h = 1e-6, double) add ~1e-9 (inputs up to
 * 30 in magnitude scale that by at most 30).
 */
class SoftmaxOpsTest {
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;
    private static final int[] SHAPE = {2, 3, 4};

    private interface Twin {
        double[] apply(double[] x, int[] shape, int axis);
    }

    private interface TwinBackward {
        double[] apply(double[] y, double[] g, int[] shape, int axis);
    }

    private record Family(String name, BiFunction<Tensor, Integer, Tensor> op, Twin twin, TwinBackward backward) {
    }

    private static final List<Family> FAMILIES = List.of(
            new Family("softmax", SoftmaxOps::softmax, SoftmaxRef::softmax, SoftmaxRef::softmaxBackward),
            new Family("logSoftmax", SoftmaxOps::logSoftmax, SoftmaxRef::logSoftmax, SoftmaxRef::logSoftmaxBackward));

    @Test
    void everyAxisAgainstFiniteDifferencesAndAnalyticTwin() {
        long seed = 1;
        for (Family f : FAMILIES) {
            for (int axis : new int[] {0, 1, 2, -1, -3}) {
                double[] xv = values(seed++, SHAPE, -2, 2);
                NDArray x = NDArrays.of(xv, SHAPE);
                String what = f.name + " axis " + axis;
                GradCheck.of(what, t -> f.op.apply(t[0], axis), v -> f.twin.apply(v[0], SHAPE, axis))
                        .tolerance(ATOL, RTOL).run(x);

                Tensor p = Tensor.parameter(x);
                Tensor y = f.op.apply(p, axis);
                double[] w = upstream(seed++, SHAPE);
                y.backward(NDArrays.of(w, SHAPE));
                double[] expected = f.backward.apply(f.twin.apply(xv, SHAPE, axis), w, SHAPE, axis);
                Compare.assertClose(what + " analytic", expected, p.grad(), ATOL, RTOL);
            }
        }
    }

    @Test
    void largeInputsStayFinite() {
        // Values up to +-30 (exp(30) ~ 1e13): the kernels subtract the line's maximum first.
        for (Family f : FAMILIES) {
            NDArray x = NDArrays.of(values(100, new int[] {3, 4}, -30, 30), 3, 4);
            GradCheck.of(f.name + " large inputs", t -> f.op.apply(t[0], 1), v -> f.twin.apply(v[0], new int[] {3, 4}, 1))
                    .tolerance(ATOL, RTOL).run(x);
        }
    }

    @Test
    void nonContiguousInputs() {
        long seed = 200;
        for (Family f : FAMILIES) {
            for (int axis : new int[] {0, 1}) {
                int[] shape = {3, 5};
                NDArray x = TestData.nonContiguous(seed++, shape);
                assertFalse(x.isContiguous());
                GradCheck.of(f.name + " non-contiguous axis " + axis, t -> f.op.apply(t[0], axis),
                        v -> f.twin.apply(v[0], shape, axis)).tolerance(ATOL, RTOL).run(x);
            }
        }
    }

    @Test
    void softmaxSumsToOneAlongTheAxisSoItsSumHasNoGradient() {
        Tensor x = Tensor.parameter(NDArrays.of(values(300, SHAPE, -2, 2), SHAPE));
        ReductionOps.sum(SoftmaxOps.softmax(x, 1)).backward();
        Compare.assertClose("d sum(softmax) / dx", new double[24], x.grad(), 1e-6, 0);
    }

    @Test
    void inputUsedTwiceAddsGradients() {
        // Negative entropy along the last axis: sum(softmax(x) * logSoftmax(x)).
        int[] shape = {3, 4};
        NDArray x = NDArrays.of(values(400, shape, -2, 2), shape);
        GradCheck.of("sum(p * log p)", t -> ReductionOps.sum(
                        ElementwiseOps.mul(SoftmaxOps.softmax(t[0], -1), SoftmaxOps.logSoftmax(t[0], -1))),
                v -> {
                    double[] p = SoftmaxRef.softmax(v[0], shape, -1);
                    double[] logP = SoftmaxRef.logSoftmax(v[0], shape, -1);
                    return ReductionRef.reduce(ReduceOp.SUM, ElementwiseRef.binary(BinaryOp.MUL, p, shape, logP, shape),
                            shape, null, false);
                }).tolerance(ATOL, RTOL).run(x);
    }

    @Test
    void chainSoftCrossEntropyWithTemperature() {
        // mean over the batch of -sum(target * logSoftmax(x / T)), classes on axis 1 of [N, C, H, W].
        int[] shape = {2, 3, 2, 2};
        NDArray x = NDArrays.of(values(500, shape, -2, 2), shape);
        double[] tv = SoftmaxRef.softmax(values(501, shape, -2, 2), shape, 1);
        NDArray target = NDArrays.of(tv, shape);
        NDArray temperature = NDArrays.scalar(1.5f);
        GradCheck.of("soft cross-entropy", t -> ReductionOps.mean(ElementwiseOps.neg(ReductionOps.sum(
                        ElementwiseOps.mul(t[1], SoftmaxOps.logSoftmax(ElementwiseOps.div(t[0], t[2]), 1)),
                        new int[] {1}, false))),
                v -> {
                    double[] logP = SoftmaxRef.logSoftmax(map(v[0], e -> e / v[2][0]), shape, 1);
                    double[] perPixel = ReductionRef.reduce(ReduceOp.SUM,
                            ElementwiseRef.binary(BinaryOp.MUL, v[1], shape, logP, shape), shape, new int[] {1}, false);
                    return new double[] {-ReductionRef.reduce(ReduceOp.MEAN, perPixel, new int[] {2, 2, 2}, null,
                            false)[0]};
                }).tolerance(ATOL, RTOL).run(new NDArray[] {x, target, temperature}, new boolean[] {true, false, true});
    }
}
