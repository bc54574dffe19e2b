package org.layerensembles.autograd.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layerensembles.autograd.optim.OptimTesting.assertStepsAlike;
import static org.layerensembles.autograd.optim.OptimTesting.grad;
import static org.layerensembles.autograd.optim.OptimTesting.named;
import static org.layerensembles.autograd.optim.OptimTesting.param;
import static org.layerensembles.autograd.optim.OptimTesting.scalarCopies;
import static org.layerensembles.autograd.optim.OptimTesting.setGrad;
import static org.layerensembles.autograd.optim.OptimTesting.values;
import static org.layerensembles.autograd.optim.SGDTest.assertMessage;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.GradMode;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.StateDict;
import org.layerensembles.autograd.ops.ElementwiseOps;
import org.layerensembles.autograd.ops.ReductionOps;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.testing.Compare;

/**
 * {@link Adam} and {@link AdamW} against steps computed by hand in double below, written the
 * way torch.optim's documentation writes them (bias-corrected moments m_hat = m / (1 - beta1^t),
 * v_hat = v / (1 - beta2^t), p -= lr * m_hat / (sqrt(v_hat) + eps)), which the optimizer computes
 * in the other order PyTorch's code uses (step size lr / (1 - beta1^t), denominator
 * sqrt(v) / sqrt(1 - beta2^t) + eps).
 *
 * <p>Tolerances: parameters atol 1e-6 + rtol 1e-6; moments atol 1e-7 + rtol 1e-6. The float32
 * update rounds ~8 times per element and step (2^-24 relative each); a parameter moves by about
 * lr per step, so the update's rounding is ~1e-9 absolute and the parameter's own rounding
 * (6e-8 on values ~1) dominates; m can cancel to near 0, hence its small absolute tolerance.
 */
class AdamTest {
    private static final double ATOL = 1e-6;
    private static final double RTOL = 1e-6;
    private static final double MOMENT_ATOL = 1e-7;
    private static final int STEPS = 6;

    /** PyTorch documentation's Adam/AdamW step in double; t counts this parameter's updates from 1. */
    static void adamByHand(double[] p, double[] m, double[] v, double[] g, int t, Adam.Options o, boolean decoupled,
                           double lr) {
        for (int i = 0; i < p.length; i++) {
            double d = g[i];
            if (decoupled) {
                p[i] *= 1 - lr * o.weightDecay();
            } else if (o.weightDecay() != 0) {
                d += o.weightDecay() * p[i];
            }
            m[i] = o.beta1() * m[i] + (1 - o.beta1()) * d;
            v[i] = o.beta2() * v[i] + (1 - o.beta2()) * d * d;
            double mHat = m[i] / (1 - Math.pow(o.beta1(), t));
            double vHat = v[i] / (1 - Math.pow(o.beta2(), t));
            p[i] -= lr * mHat / (Math.sqrt(vHat) + o.eps());
        }
    }

    private static void checkAgainstHand(Adam.Options o, boolean decoupled) {
        Tensor w = param(1, 4, 5);
        Tensor b = param(2, 5);
        Map<String, double[]> ref = new LinkedHashMap<>();
        Map<String, Tensor> params = named("w", w, "b", b);
        params.forEach((name, t) -> ref.put(name, values(t)));
        Map<String, double[]> m = new LinkedHashMap<>();
        Map<String, double[]> v = new LinkedHashMap<>();
        params.forEach((name, t) -> {
            m.put(name, new double[(int) t.numel()]);
            v.put(name, new double[(int) t.numel()]);
        });
        Adam opt = decoupled ? new AdamW(params, o) : new Adam(params, o);
        String what = (decoupled ? "AdamW " : "Adam ") + o;
        for (int t = 1; t <= STEPS; t++) {
            int step = t;
            long seed = 1;
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                double[] g = grad(seed++, step, (int) e.getValue().numel());
                setGrad(e.getValue(), g);
                adamByHand(ref.get(e.getKey()), m.get(e.getKey()), v.get(e.getKey()), g, step, o, decoupled, o.lr());
            }
            opt.step();
            StateDict sd = opt.stateDict();
            for (String name : params.keySet()) {
                Compare.assertClose(what + " " + name + " after step " + t, ref.get(name), params.get(name).data(),
                        ATOL, RTOL);
                Compare.assertClose(what + " " + name + ".exp_avg after step " + t, m.get(name),
                        sd.array(name + ".exp_avg"), MOMENT_ATOL, RTOL);
                Compare.assertClose(what + " " + name + ".exp_avg_sq after step " + t, v.get(name),
                        sd.array(name + ".exp_avg_sq"), MOMENT_ATOL, RTOL);
                assertEquals(t, sd.longValue(name + ".step"));
            }
        }
    }

    @Test
    void adamDefaults() {
        assertEquals(new Adam.Options(1e-3, 0.9, 0.999, 1e-8, 0), Adam.Options.defaults());
        checkAgainstHand(Adam.Options.defaults(), false);
    }

    @Test
    void adamLargerStepsShowTheBiasCorrection() {
        // lr 0.1 makes every step visible at the tolerance; the first step is ~lr * sign(g) only
        // because of the bias correction (without it, 0.1 * g / sqrt(0.001 g^2) ~ 3.2 lr).
        checkAgainstHand(Adam.Options.defaults().withLr(0.1), false);
    }

    @Test
    void adamEpsIsAddedAfterTheCorrectedSquareRoot() {
        // A large eps separates sqrt(v_hat) + eps from sqrt(v_hat + eps) and from sqrt(v) + eps.
        checkAgainstHand(Adam.Options.defaults().withLr(0.1).withBetas(0.5, 0.9).withEps(0.1), false);
    }

    @Test
    void adamL2WeightDecayIsAddedToTheGradient() {
        checkAgainstHand(Adam.Options.defaults().withLr(0.05).withWeightDecay(0.5), false);
    }

    @Test
    void adamWDecaysTheParameterBeforeTheUpdate() {
        assertEquals(0.01, AdamW.defaults().weightDecay());
        checkAgainstHand(AdamW.defaults(), true);
        checkAgainstHand(AdamW.defaults().withLr(0.05).withWeightDecay(0.5).withBetas(0.8, 0.99), true);
    }

    @Test
    void adamWUsesTheCurrentLearningRateForTheDecay() {
        Tensor w = param(3, 7);
        double[] ref = values(w);
        double[] m = new double[7];
        double[] v = new double[7];
        Adam.Options o = AdamW.defaults().withWeightDecay(0.2);
        AdamW opt = new AdamW(named("w", w), o);
        double[] lrs = {1e-2, 5e-2, 2e-3};
        for (int t = 1; t <= lrs.length; t++) {
            opt.setLr(lrs[t - 1]);
            double[] g = grad(3, t, 7);
            setGrad(w, g);
            opt.step();
            adamByHand(ref, m, v, g, t, o, true, lrs[t - 1]);
        }
        Compare.assertClose("w", ref, w.data(), ATOL, RTOL);
    }

    @Test
    void eachParameterCountsItsOwnSteps() {
        // "late" first gets a gradient at the optimizer's third step: its update is a first Adam
        // step (t = 1 in the bias correction), as in PyTorch's per-parameter state.
        Tensor w = param(4, 3);
        Tensor late = param(5, 4);
        double[] lateRef = values(late);
        Adam opt = new Adam(named("w", w, "late", late), Adam.Options.defaults().withLr(0.1));
        for (int t = 1; t <= 2; t++) {
            setGrad(w, grad(4, t, 3));
            opt.step();
        }
        Compare.assertClose("skipped parameter", lateRef, late.data(), 0, 0);
        assertEquals(List.of("w.exp_avg", "w.exp_avg_sq", "w.step", "step", "lr.f64bits"),
                List.copyOf(opt.stateDict().names()));
        double[] g = grad(5, 3, 4);
        setGrad(late, g);
        setGrad(w, grad(4, 3, 3));
        opt.step();
        adamByHand(lateRef, new double[4], new double[4], g, 1, Adam.Options.defaults().withLr(0.1), false, 0.1);
        Compare.assertClose("late parameter", lateRef, late.data(), ATOL, RTOL);
        StateDict sd = opt.stateDict();
        assertEquals(3L, sd.longValue("w.step"));
        assertEquals(1L, sd.longValue("late.step"));
        assertEquals(3L, sd.longValue("step"));
    }

    @Test
    void vectorBodyAndScalarTailGiveTheSameBits() {
        int n = 3 * 16 + 7;
        Tensor big = param(6, n);
        Map<String, Tensor> smalls = scalarCopies(big);
        for (boolean decoupled : new boolean[] {false, true}) {
            Adam.Options o = Adam.Options.defaults().withLr(0.03).withWeightDecay(0.1);
            Adam a = decoupled ? new AdamW(named("big", big), o) : new Adam(named("big", big), o);
            Adam b = decoupled ? new AdamW(smalls, o) : new Adam(smalls, o);
            assertStepsAlike(decoupled ? "AdamW " : "Adam ", big, smalls, a, b, 6);
        }
    }

    @Test
    void invalidHyperParametersAreRejected() {
        Adam.Options d = Adam.Options.defaults();
        assertMessage("learning rate", () -> d.withLr(-1e-3));
        assertMessage("beta1", () -> d.withBetas(1.0, 0.999));
        assertMessage("beta1", () -> d.withBetas(-0.1, 0.999));
        assertMessage("beta2", () -> d.withBetas(0.9, 1.0));
        assertMessage("beta2", () -> d.withBetas(0.9, Double.NaN));
        assertMessage("eps", () -> d.withEps(-1e-8));
        assertMessage("weight decay", () -> d.withWeightDecay(-0.01));
        assertMessage("weight decay", () -> AdamW.defaults().withWeightDecay(Double.POSITIVE_INFINITY));
    }

    /**
     * End to end: Adam drives x to the minimum c of L(x) = sum(w * (x - c)^2) (w > 0), with the
     * loss and its gradient built from autograd ops. lr 0.05 for 400 steps, then 0.005 for 200:
     * Adam's steps are about lr in size, so x ends within a few lr of c; we ask for 0.01.
     */
    @Test
    void adamMinimisesAQuadraticBuiltFromAutogradOps() {
        int n = 10;
        Tensor x = param(7, n);
        double[] c = OptimTesting.grad(8, 0, n);
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = 0.5 + i * 0.3;
        }
        Tensor target = Tensor.constant(NDArrays.of(c, n));
        Tensor weights = Tensor.constant(NDArrays.of(w, n));
        Adam opt = new Adam(named("x", x), Adam.Options.defaults().withLr(0.05));
        double first = Double.NaN;
        double last = Double.NaN;
        for (int step = 0; step < 600; step++) {
            if (step == 400) {
                opt.setLr(0.005);
            }
            opt.zeroGrad();
            Tensor diff = ElementwiseOps.sub(x, target);
            Tensor loss = ReductionOps.sum(ElementwiseOps.mul(weights, ElementwiseOps.mul(diff, diff)));
            loss.backward();
            opt.step();
            last = loss.item();
            if (step == 0) {
                first = last;
            }
        }
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            double[] xv = values(x);
            for (int i = 0; i < n; i++) {
                assertEquals(c[i], xv[i], 0.01, "x[" + i + "]");
            }
        }
        assertTrue(last < 1e-3 * first, "loss " + first + " -> " + last);
    }
}
