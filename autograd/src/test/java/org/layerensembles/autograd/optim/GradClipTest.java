package org.layerensembles.autograd.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layerensembles.autograd.optim.OptimTesting.grad;
import static org.layerensembles.autograd.optim.OptimTesting.param;
import static org.layerensembles.autograd.optim.OptimTesting.setGrad;
import static org.layerensembles.autograd.optim.OptimTesting.values;
import static org.layerensembles.autograd.optim.SGDTest.assertMessage;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.testing.Compare;

/**
 * {@link GradClip#clipGradNorm} against the norm computed here in double and the scaled gradients
 * worked out here: each is {@code (float) (g * (float) coef)}, which is exactly what a float32
 * multiplication gives, so the scaled gradients must match bit for bit. The norm is compared at
 * rtol 1e-12 (double sums in another order).
 */
class GradClipTest {
    private static List<Tensor> paramsWithGrads() {
        Tensor a = param(1, 3, 4);
        Tensor b = param(2, 37);
        Tensor c = param(3, 2);
        setGrad(a, grad(1, 1, 12));
        setGrad(b, grad(2, 1, 37));
        setGrad(c, grad(3, 1, 2));
        Tensor noGrad = param(4, 5);
        return List.of(a, noGrad, b, c);
    }

    private static double normByHand(List<Tensor> ps) {
        double s = 0;
        for (Tensor p : ps) {
            if (p.grad() != null) {
                for (double g : values(p.grad())) {
                    s += g * g;
                }
            }
        }
        return Math.sqrt(s);
    }

    @Test
    void largeGradientsAreScaledToMaxNorm() {
        List<Tensor> ps = paramsWithGrads();
        double norm = normByHand(ps);
        double maxNorm = norm / 3;
        List<double[]> before = ps.stream().map(p -> p.grad() == null ? null : values(p.grad())).toList();
        double returned = GradClip.clipGradNorm(ps, maxNorm);
        assertEquals(norm, returned, 1e-12 * norm);
        float coef = (float) (maxNorm / (norm + 1e-6));
        for (int k = 0; k < ps.size(); k++) {
            if (before.get(k) == null) {
                assertNull(ps.get(k).grad());
                continue;
            }
            double[] expected = before.get(k).clone();
            for (int i = 0; i < expected.length; i++) {
                expected[i] = (float) (expected[i] * coef);
            }
            Compare.assertClose("clipped gradient " + k, expected, ps.get(k).grad(), 0, 0);
        }
        assertEquals(maxNorm, normByHand(ps), 1e-6 * maxNorm, "norm after clipping");
    }

    @Test
    void smallGradientsAreLeftAlone() {
        List<Tensor> ps = paramsWithGrads();
        double norm = normByHand(ps);
        List<double[]> before = ps.stream().filter(p -> p.grad() != null).map(p -> values(p.grad())).toList();
        assertEquals(norm, GradClip.clipGradNorm(ps, norm * 1.01), 1e-12 * norm);
        List<double[]> after = ps.stream().filter(p -> p.grad() != null).map(p -> values(p.grad())).toList();
        for (int k = 0; k < before.size(); k++) {
            Compare.assertClose("gradient " + k, before.get(k), after.get(k), new int[] {before.get(k).length}, 0, 0);
        }
    }

    @Test
    void aNormEqualToMaxNormIsScaledByMaxNormOverNormPlusEps() {
        // As PyTorch: coef = maxNorm / (norm + 1e-6) is just below 1, so the gradients shrink a little.
        List<Tensor> ps = paramsWithGrads();
        double norm = normByHand(ps);
        double g0 = values(ps.get(0).grad())[0];
        GradClip.clipGradNorm(ps, norm);
        assertEquals((float) (g0 * (float) (norm / (norm + 1e-6))), ps.get(0).grad().getFloat(0, 0));
    }

    @Test
    void aNonFiniteNormIsReturnedAndPoisonsTheGradientsAsInPyTorch() {
        Tensor a = param(5, 3);
        setGrad(a, new double[] {1, Double.NaN, 2});
        double norm = GradClip.clipGradNorm(List.of(a), 1.0);
        assertTrue(Double.isNaN(norm));
        for (double g : values(a.grad())) {
            assertTrue(Double.isNaN(g));
        }
    }

    @Test
    void invalidMaxNormIsRejected() {
        List<Tensor> ps = paramsWithGrads();
        assertMessage("maxNorm", () -> GradClip.clipGradNorm(ps, -1));
        assertMessage("maxNorm", () -> GradClip.clipGradNorm(ps, Double.NaN));
    }
}
