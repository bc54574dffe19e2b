package org.layerensembles.autograd;

import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.ops.ElementwiseOps;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * How {@link Backprop} sums the contributions to a tensor used several times without
 * temporaries: it adds in place only into sums it allocated itself, never into an array a rule
 * handed to several inputs (an add's backward gives its upstream gradient to both operands).
 *
 * <p>Expected gradients are small integer multiples of float32 products, computed in double:
 * atol 1e-6 + rtol 1e-6.
 */
class BackpropSumsTest {
    private static final double ATOL = 1e-6;
    private static final double RTOL = 1e-6;

    @Test
    void sharedUpstreamGradientsAreNeverWrittenInPlace() {
        // t = x * x and s = 3 * x; y = ((t + s) + t) + t. Each add passes w on to both operands
        // as one array: t collects w three times (one sum, then two in-place adds into it), while
        // s must still see w alone. dL/dx = 3w * 2x + 3w.
        int n = 37;
        Tensor x = Tensor.parameter(TestData.array(1, n));
        Tensor three = Tensor.constant(NDArrays.full(3f, n));
        Tensor t = ElementwiseOps.mul(x, x);
        Tensor s = ElementwiseOps.mul(x, three);
        Tensor y = ElementwiseOps.add(ElementwiseOps.add(ElementwiseOps.add(t, s), t), t);
        double[] w = TestData.uniform(2, n);
        y.backward(NDArrays.of(w, n));
        double[] xv = GraphTest.values(x);
        double[] expected = new double[n];
        for (int i = 0; i < n; i++) {
            double wf = (float) w[i];
            expected[i] = 3 * wf * 2 * xv[i] + 3 * wf;
        }
        Compare.assertClose("dL/dx through t (three uses) and s", expected, x.grad(), ATOL, RTOL);
    }

    @Test
    void aLeafUsedManyTimesAccumulatesEveryUse() {
        // y = x + x + x + x + x: the leaf receives five contributions of w, the first into a new
        // gradient, the others added into it; a second backward adds five more.
        int n = 1000;
        Tensor x = Tensor.parameter(TestData.array(3, n));
        Tensor y = x;
        for (int k = 0; k < 4; k++) {
            y = ElementwiseOps.add(y, x);
        }
        double[] w = TestData.uniform(4, n);
        for (int i = 0; i < n; i++) {
            w[i] = (float) w[i];
        }
        NDArray upstream = NDArrays.of(w, n);
        y.backward(upstream, true);
        double[] five = new double[n];
        double[] ten = new double[n];
        for (int i = 0; i < n; i++) {
            five[i] = 5 * w[i];
            ten[i] = 2 * five[i];
        }
        Compare.assertClose("five uses", five, x.grad(), ATOL, RTOL);
        Compare.assertClose("the upstream gradient is left alone", w, upstream, 0, 0);
        y.backward(upstream);
        Compare.assertClose("a second backward adds into the same gradient", ten, x.grad(), ATOL, RTOL);
    }
}
