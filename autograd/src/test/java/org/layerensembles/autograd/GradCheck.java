package org.layerensembles.autograd;

import java.util.Arrays;
import java.util.Random;
import java.util.function.Function;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.FiniteDifferences;

/**
 * Checks a differentiable op end to end: its autograd forward against a double-precision twin,
 * and the gradients the graph walk delivers to every input against central finite differences
 * of that twin. The scalar loss is L = sum(w * f(inputs)) with random weights w, so every output
 * element's gradient path is exercised with a distinct upstream value.
 *
 * <p>Tolerances: forward within {@code atol + rtol*|expected|}; gradients the same, where the
 * finite differences (h = 1e-6 in double) contribute about 1e-9 of error and the float32
 * kernels the rest.
 */
public final class GradCheck {
    private final String what;
    private final Function<Tensor[], Tensor> op;
    private final Function<double[][], double[]> twin;
    private double atol = 1e-5;
    private double rtol = 1e-4;
    private double h = 1e-6;

    private GradCheck(String what, Function<Tensor[], Tensor> op, Function<double[][], double[]> twin) {
        this.what = what;
        this.op = op;
        this.twin = twin;
    }

    /**
     * @param op   the op under test, applied to tensors (parameters for differentiable inputs)
     * @param twin the same function on row-major double arrays, computed in double precision
     */
    public static GradCheck of(String what, Function<Tensor[], Tensor> op, Function<double[][], double[]> twin) {
        return new GradCheck(what, op, twin);
    }

    public GradCheck tolerance(double absolute, double relative) {
        this.atol = absolute;
        this.rtol = relative;
        return this;
    }

    public GradCheck step(double finiteDifferenceStep) {
        this.h = finiteDifferenceStep;
        return this;
    }

    /**
     * Runs the check. {@code differentiable[i]} says whether input i is a parameter (its gradient
     * is checked) or a constant.
     */
    public void run(NDArray[] inputs, boolean[] differentiable) {
        Tensor[] tensors = new Tensor[inputs.length];
        double[][] values = new double[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            tensors[i] = differentiable[i] ? Tensor.parameter(inputs[i]) : Tensor.constant(inputs[i]);
            values[i] = RefArrays.doubles(inputs[i]);
        }
        Tensor y = op.apply(tensors);
        double[] weights = forwardAndBackward(what, y, twin.apply(values), atol, rtol);
        for (int i = 0; i < inputs.length; i++) {
            if (differentiable[i]) {
                assertGradient(what, "input " + i, tensors[i].grad(), twin, values, i, weights, h, atol, rtol);
            }
        }
    }

    /**
     * The shared first half of a check: asserts {@code y} close to the twin's {@code expected},
     * then backpropagates L = sum(w * y) with random float-representable w in [-1, 1) seeded by
     * {@code what}, and returns w.
     */
    public static double[] forwardAndBackward(String what, Tensor y, double[] expected, double atol, double rtol) {
        Compare.assertClose(what + " forward", expected, y.data(), atol, rtol);
        double[] weights = new double[expected.length];
        Random r = new Random(what.hashCode());
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) (2 * r.nextDouble() - 1);
        }
        y.backward(NDArrays.of(weights, y.shape()));
        return weights;
    }

    /**
     * The shared second half: asserts that {@code grad}, the gradient the graph delivered to the
     * twin's argument {@code index} (called {@code name} in messages), matches central finite
     * differences (step h) of sum(weights * twin(values)) in that argument.
     */
    public static void assertGradient(String what, String name, NDArray grad, Function<double[][], double[]> twin,
                                      double[][] values, int index, double[] weights, double h, double atol,
                                      double rtol) {
        double[] numeric = FiniteDifferences.gradient(x -> {
            double[][] perturbed = values.clone();
            perturbed[index] = x;
            return FiniteDifferences.dot(weights, twin.apply(perturbed));
        }, values[index].clone(), h);
        if (grad == null) {
            throw new AssertionError(what + ": " + name + " received no gradient");
        }
        Compare.assertClose(what + " d/d(" + name + ") " + Arrays.toString(grad.shape()), numeric, grad, atol, rtol);
    }

    /** Runs the check with every input differentiable. */
    public void run(NDArray... inputs) {
        boolean[] all = new boolean[inputs.length];
        Arrays.fill(all, true);
        run(inputs, all);
    }
}
