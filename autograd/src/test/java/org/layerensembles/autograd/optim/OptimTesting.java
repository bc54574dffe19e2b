package org.layerensembles.autograd.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.TestData;

/** Shared helpers of the optimizer tests. */
final class OptimTesting {
    private OptimTesting() {
    }

    /** A parameter with values uniform in [-1, 1). */
    static Tensor param(long seed, int... shape) {
        return Tensor.parameter(TestData.array(seed, shape));
    }

    /** Parameters by name, in the order given: name0, tensor0, name1, tensor1, ... */
    static Map<String, Tensor> named(Object... nameThenTensor) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < nameThenTensor.length; i += 2) {
            m.put((String) nameThenTensor[i], (Tensor) nameThenTensor[i + 1]);
        }
        return m;
    }

    /** Makes p's gradient exactly g (zero, then add g through a backward pass from the leaf). */
    static void setGrad(Tensor p, double[] g) {
        p.zeroGrad();
        p.backward(NDArrays.of(g, p.shape()));
    }

    /** The gradient of step t for a parameter of n elements: uniform in [-1, 1), float32 values. */
    static double[] grad(long seed, int t, int n) {
        return TestData.uniform(seed * 1000 + t, n);
    }

    static double[] values(Tensor t) {
        return RefArrays.doubles(t.data());
    }

    static double[] values(NDArray a) {
        return RefArrays.doubles(a);
    }

    /** One-element parameters s0, s1, ... holding {@code big}'s values, in order. */
    static Map<String, Tensor> scalarCopies(Tensor big) {
        double[] init = values(big);
        Map<String, Tensor> smalls = new LinkedHashMap<>();
        for (int i = 0; i < init.length; i++) {
            smalls.put("s" + i, Tensor.parameter(NDArrays.of(new double[] {init[i]}, 1)));
        }
        return smalls;
    }

    /**
     * Three steps of {@code a} (on {@code big}) and {@code b} (on {@code smalls}, as
     * {@link #scalarCopies} made them) with the same gradients {@code grad(seed, t, n)}; then every
     * element of big must have the same bits as its one-element twin ("{@code what}element i").
     */
    static void assertStepsAlike(String what, Tensor big, Map<String, Tensor> smalls, Optimizer a, Optimizer b,
                                 long seed) {
        int n = smalls.size();
        for (int t = 1; t <= 3; t++) {
            double[] g = grad(seed, t, n);
            setGrad(big, g);
            for (int i = 0; i < n; i++) {
                setGrad(smalls.get("s" + i), new double[] {g[i]});
            }
            a.step();
            b.step();
        }
        float[] bigValues = big.data().toFloatArray();
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(bigValues[i]),
                    Float.floatToRawIntBits(smalls.get("s" + i).data().getFloat(0)), what + "element " + i);
        }
    }
}
