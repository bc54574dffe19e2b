package org.layerensembles.autograd.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layerensembles.autograd.optim.OptimTesting.assertStepsAlike;
import static org.layerensembles.autograd.optim.OptimTesting.grad;
import static org.layerensembles.autograd.optim.OptimTesting.named;
import static org.layerensembles.autograd.optim.OptimTesting.param;
import static org.layerensembles.autograd.optim.OptimTesting.scalarCopies;
import static org.layerensembles.autograd.optim.OptimTesting.setGrad;
import static org.layerensembles.autograd.optim.OptimTesting.values;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * {@link SGD} against steps computed by hand in double below (torch.optim.SGD's pseudo-code).
 *
 * <p>Tolerances: parameters and momentum buffers atol 1e-6 + rtol 1e-6. The optimizer works in
 * float32: each of its ~5 operations per element and step rounds by at most 2^-24 (6e-8)
 * relative, on values at most ~5 (a momentum buffer after a few steps), over 5 steps: a few 1e-7.
 */
class SGDTest {
    private static final double ATOL = 1e-6;
    private static final double RTOL = 1e-6;
    private static final int STEPS = 5;

    /** One SGD step in double, as in PyTorch's documentation; t counts from 1. */
    static void sgdByHand(double[] p, double[] buf, double[] g, int t, double lr, double momentum, double dampening,
                          boolean nesterov, double weightDecay) {
        for (int i = 0; i < p.length; i++) {
            double d = g[i];
            if (weightDecay != 0) {
                d += weightDecay * p[i];
            }
            if (momentum != 0) {
                buf[i] = t == 1 ? d : momentum * buf[i] + (1 - dampening) * d;
                d = nesterov ? d + momentum * buf[i] : buf[i];
            }
            p[i] -= lr * d;
        }
    }

    private static void checkAgainstHand(SGD.Options o) {
        Tensor w = param(1, 3, 5);
        Tensor b = param(2, 5);
        double[] wRef = values(w);
        double[] bRef = values(b);
        double[] wBuf = new double[wRef.length];
        double[] bBuf = new double[bRef.length];
        SGD opt = new SGD(named("w", w, "b", b), o);
        for (int t = 1; t <= STEPS; t++) {
            double[] gw = grad(1, t, wRef.length);
            double[] gb = grad(2, t, bRef.length);
            setGrad(w, gw);
            setGrad(b, gb);
            opt.step();
            sgdByHand(wRef, wBuf, gw, t, o.lr(), o.momentum(), o.dampening(), o.nesterov(), o.weightDecay());
            sgdByHand(bRef, bBuf, gb, t, o.lr(), o.momentum(), o.dampening(), o.nesterov(), o.weightDecay());
            Compare.assertClose(o + " w after step " + t, wRef, w.data(), ATOL, RTOL);
            Compare.assertClose(o + " b after step " + t, bRef, b.data(), ATOL, RTOL);
            if (o.momentum() != 0) {
                Compare.assertClose(o + " w buffer after step " + t, wBuf,
                        opt.stateDict().array("w.momentum_buffer"), ATOL, RTOL);
            }
        }
        assertEquals(STEPS, opt.stepCount());
    }

    @Test
    void plainSgd() {
        checkAgainstHand(SGD.Options.defaults().withLr(0.1));
    }

    @Test
    void weightDecay() {
        checkAgainstHand(SGD.Options.defaults().withLr(0.05).withWeightDecay(0.3));
    }

    @Test
    void momentum() {
        checkAgainstHand(SGD.Options.defaults().withLr(0.1).withMomentum(0.9));
    }

    @Test
    void momentumWithDampeningStartsFromTheUndampedGradient() {
        checkAgainstHand(SGD.Options.defaults().withLr(0.1).withMomentum(0.8).withDampening(0.5));
        // The first buffer is the gradient itself, not (1 - dampening) times it.
        Tensor w = param(3, 4);
        SGD opt = new SGD(named("w", w), SGD.Options.defaults().withLr(0.1).withMomentum(0.8).withDampening(0.5));
        double[] g = grad(3, 1, 4);
        setGrad(w, g);
        opt.step();
        Compare.assertClose("first buffer", g, opt.stateDict().array("w.momentum_buffer"), 0, 0);
    }

    @Test
    void nesterov() {
        checkAgainstHand(SGD.Options.defaults().withLr(0.1).withMomentum(0.9).withNesterov(true));
    }

    @Test
    void nesterovWithWeightDecay() {
        checkAgainstHand(SGD.Options.defaults().withLr(0.02).withMomentum(0.7).withNesterov(true).withWeightDecay(0.1));
    }

    @Test
    void learningRateChangesTakeEffectAtTheNextStep() {
        Tensor w = param(4, 6);
        double[] ref = values(w);
        double[] buf = new double[6];
        SGD opt = new SGD(named("w", w), SGD.Options.defaults().withLr(0.1).withMomentum(0.5));
        double[] lrs = {0.1, 0.05, 0.3};
        for (int t = 1; t <= lrs.length; t++) {
            opt.setLr(lrs[t - 1]);
            double[] g = grad(4, t, 6);
            setGrad(w, g);
            opt.step();
            sgdByHand(ref, buf, g, t, lrs[t - 1], 0.5, 0, false, 0);
        }
        Compare.assertClose("w", ref, w.data(), ATOL, RTOL);
        assertEquals(0.3, opt.lr());
    }

    @Test
    void zeroGradZeroesEveryGradientAndMomentumKeepsMoving() {
        Tensor w = param(5, 2, 3);
        Tensor b = param(6, 3);
        Tensor untouched = param(7, 2);
        SGD opt = new SGD(named("w", w, "b", b, "u", untouched), SGD.Options.defaults().withLr(0.1).withMomentum(0.9));
        setGrad(w, grad(5, 1, 6));
        setGrad(b, grad(6, 1, 3));
        opt.step();
        opt.zeroGrad();
        Compare.assertClose("w grad", new double[6], w.grad(), 0, 0);
        Compare.assertClose("b grad", new double[3], b.grad(), 0, 0);
        assertNull(untouched.grad(), "zeroGrad creates no gradient");
        // With a zero gradient the buffer decays by 0.9 and still moves the parameter.
        double[] before = values(w);
        double[] buf = values(opt.stateDict().array("w.momentum_buffer"));
        opt.step();
        double[] expected = new double[6];
        for (int i = 0; i < 6; i++) {
            expected[i] = before[i] - 0.1 * (0.9 * buf[i]);
        }
        Compare.assertClose("w after a zero-gradient step", expected, w.data(), ATOL, RTOL);
    }

    @Test
    void parametersWithoutGradientAreSkippedAndStartFreshLater() {
        Tensor w = param(8, 4);
        Tensor late = param(9, 3);
        double[] lateBefore = values(late);
        SGD opt = new SGD(named("w", w, "late", late), SGD.Options.defaults().withLr(0.1).withMomentum(0.9));
        setGrad(w, grad(8, 1, 4));
        opt.step();
        setGrad(w, grad(8, 2, 4));
        opt.step();
        Compare.assertClose("skipped parameter", lateBefore, late.data(), 0, 0);
        assertEquals(List.of("w.momentum_buffer", "step", "lr.f64bits"), List.copyOf(opt.stateDict().names()));
        // Its first update (the optimizer's third step) is a first step: buffer = gradient.
        double[] g = grad(9, 3, 3);
        setGrad(late, g);
        opt.step();
        double[] ref = lateBefore.clone();
        sgdByHand(ref, new double[3], g, 1, 0.1, 0.9, 0, false, 0);
        Compare.assertClose("late parameter", ref, late.data(), ATOL, RTOL);
        Compare.assertClose("late buffer", g, opt.stateDict().array("late.momentum_buffer"), 0, 0);
    }

    @Test
    void plainSgdKeepsNoState() {
        Tensor w = param(10, 4);
        SGD opt = new SGD(named("w", w), SGD.Options.defaults().withLr(0.1));
        setGrad(w, grad(10, 1, 4));
        opt.step();
        assertEquals(List.of("step", "lr.f64bits"), List.copyOf(opt.stateDict().names()));
    }

    /**
     * Every element gets the same bits whether the vector body or the scalar tail updates it: one
     * parameter of 3 vectors plus a tail against the same values as one-element parameters
     * (which only the scalar tail sees).
     */
    @Test
    void vectorBodyAndScalarTailGiveTheSameBits() {
        int n = 3 * 16 + 5;
        Tensor big = param(11, n);
        Map<String, Tensor> smalls = scalarCopies(big);
        SGD.Options o = SGD.Options.defaults().withLr(0.07).withMomentum(0.9).withNesterov(true).withWeightDecay(0.01);
        assertStepsAlike("", big, smalls, new SGD(named("big", big), o), new SGD(smalls, o), 11);
    }

    @Test
    void invalidHyperParametersAreRejected() {
        SGD.Options d = SGD.Options.defaults();
        assertMessage("learning rate", () -> d.withLr(-0.1));
        assertMessage("learning rate", () -> d.withLr(Double.NaN));
        assertMessage("momentum", () -> d.withMomentum(-0.5));
        assertMessage("dampening", () -> d.withDampening(1.5));
        assertMessage("weight decay", () -> d.withWeightDecay(-1e-4));
        assertMessage("Nesterov", () -> d.withNesterov(true));
        assertMessage("Nesterov", () -> d.withMomentum(0.9).withDampening(0.1).withNesterov(true));
        SGD opt = new SGD(named("w", param(12, 3)), d);
        assertMessage("learning rate", () -> opt.setLr(-1));
        assertMessage("learning rate", () -> opt.setLr(Double.POSITIVE_INFINITY));
    }

    @Test
    void badParameterListsAreRejected() {
        Tensor w = param(13, 3);
        assertMessage("same tensor", () -> new SGD(named("a", w, "b", w), SGD.Options.defaults()));
        assertMessage("not contiguous", () -> new SGD(named("v", Tensor.parameter(TestData.nonContiguous(14, 3, 4))),
                SGD.Options.defaults()));
        assertMessage("float32", () -> new SGD(named("i", Tensor.constant(NDArrays.zeros(DType.INT32, 3))),
                SGD.Options.defaults()));
        assertMessage("empty", () -> new SGD(Map.of(), SGD.Options.defaults()));
    }

    static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().contains(part), "message '" + x.getMessage() + "' should mention " + part);
    }
}
