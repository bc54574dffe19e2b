package org.layerensembles.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.ops.ElementwiseOps;
import org.layerensembles.autograd.ops.ShapeOps;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.ReduceOp;
import org.layerensembles.core.memory.MemoryPool;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * The graph walk itself ({@link Tensor}, {@link Backprop}, {@link GradMode}): how gradients are
 * combined, who receives them, when graphs exist, and where their memory lives.
 *
 * <p>Expected gradients are computed here in double precision from the inputs' float32 values.
 * Tolerances: a gradient that is a float32 product or sum of a few float32 terms, atol 1e-6 +
 * rtol 1e-6; through tanh (ExpLog's float32 tanh, a few ulp), atol 1e-5 + rtol 1e-5; the deep
 * chain's 20000 float32 roundings of products, rtol 1e-3 (each rounding is at most 2^-24 relative,
 * so the drift is at most 20000 * 6e-8 = 1.2e-3 and typically far less).
 */
class GraphTest {
    private static final double ATOL = 1e-6;
    private static final double RTOL = 1e-6;

    /** sum over all elements, to make scalar losses (the reduction family is not on this branch). */
    static Tensor sum(Tensor x) {
        NDArray y = Autograd.backend().reduce(ReduceOp.SUM, x.data(), new int[0], false);
        int[] shape = x.shape();
        return Tensor.fromOp("sum", y, (g, needs) -> new NDArray[] {g.broadcastTo(shape)}, x);
    }

    static double[] values(Tensor t) {
        return RefArrays.doubles(t.data());
    }

    // ---- how contributions combine

    @Test
    void aTensorUsedTwiceGetsBothContributions() {
        // x * x: the rule gives each of its two inputs g * x; both are the same leaf, so 2x.
        Tensor x = Tensor.parameter(TestData.array(1, 2, 3));
        double[] w = TestData.uniform(2, 6);
        ElementwiseOps.mul(x, x).backward(NDArrays.of(w, 2, 3));
        double[] xv = values(x);
        double[] expected = new double[6];
        for (int i = 0; i < 6; i++) {
            expected[i] = 2 * xv[i] * w[i];
        }
        Compare.assertClose("d(x*x)/dx", expected, x.grad(), ATOL, RTOL);

        // The same on a scalar, implicit upstream gradient: d(x*x + x)/dx = 2x + 1.
        Tensor s = Tensor.parameter(NDArrays.scalar(0.75f));
        ElementwiseOps.add(ElementwiseOps.mul(s, s), s).backward();
        assertEquals(2.5, s.grad().getFloat(), 1e-6);
    }

    @Test
    void diamondGraph() {
        // a = tanh(x), b = 3x, y = a * b + a: dy/dx = (1 - a^2) b + 3a + (1 - a^2).
        Tensor x = Tensor.parameter(TestData.array(3, 4, 5));
        Tensor a = ElementwiseOps.tanh(x);
        Tensor b = ElementwiseOps.mul(x, 3.0);
        Tensor y = ElementwiseOps.add(ElementwiseOps.mul(a, b), a);
        double[] w = TestData.uniform(4, 20);
        y.backward(NDArrays.of(w, 4, 5));
        double[] xv = values(x);
        double[] expected = new double[20];
        for (int i = 0; i < 20; i++) {
            double av = Math.tanh(xv[i]);
            double bv = 3 * xv[i];
            expected[i] = w[i] * ((1 - av * av) * bv + 3 * av + (1 - av * av));
        }
        Compare.assertClose("diamond", expected, x.grad(), 1e-5, 1e-5);
    }

    @Test
    void aSharedNodeRunsItsRuleOnceWithItsCompleteGradient() {
        // p -> x (an identity op that counts its backward calls) -> y = x * x + x.
        Tensor p = Tensor.parameter(TestData.array(5, 6));
        int[] calls = {0};
        Tensor x = Tensor.fromOp("counted", p.data(), (g, needs) -> {
            calls[0]++;
            return new NDArray[] {g};
        }, p);
        Tensor y = ElementwiseOps.add(ElementwiseOps.mul(x, x), x);
        y.backward(NDArrays.ones(6));
        assertEquals(1, calls[0], "the shared node's rule runs once, after both consumers contributed");
        double[] pv = values(p);
        double[] expected = new double[6];
        for (int i = 0; i < 6; i++) {
            expected[i] = 2 * pv[i] + 1;
        }
        Compare.assertClose("d(x*x + x)/dp", expected, p.grad(), ATOL, RTOL);
    }

    @Test
    void deepChainNeedsNoDeepStack() throws Exception {
        // 20000 ops run on a thread with a 256 KB stack: a recursive walk would overflow it.
        int depth = 20000;
        double factor = 1.00002;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Float> grad = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                Tensor x = Tensor.parameter(NDArrays.scalar(0.5f));
                Tensor c = Tensor.constant(NDArrays.scalar((float) factor));
                Tensor y = x;
                for (int i = 0; i < depth; i++) {
                    y = ElementwiseOps.mul(y, c);
                }
                y.backward();
                grad.set(x.grad().getFloat());
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "small-stack", 256 * 1024);
        t.start();
        t.join();
        if (failure.get() != null) {
            throw new AssertionError("deep chain failed", failure.get());
        }
        double expected = Math.pow((float) factor, depth);
        assertEquals(expected, grad.get(), 1e-3 * expected);
    }

    // ---- the upstream gradient

    @Test
    void explicitAndImplicitUpstreamGradients() {
        Tensor x = Tensor.parameter(TestData.array(6, 3));
        Tensor y = ElementwiseOps.mul(x, 2.0);
        NDArray up = NDArrays.of(new float[] {1, -2, 0.5f}, 3);
        y.backward(up);
        Compare.assertClose("explicit upstream", new double[] {2, -4, 1}, x.grad(), 0, 0);

        // A one-element tensor of any rank may use the implicit dL/dL = 1.
        Tensor s = Tensor.parameter(NDArrays.of(new float[] {1.5f}, 1, 1));
        ElementwiseOps.mul(s, s).backward();
        Compare.assertClose("implicit upstream on [1,1]", new double[] {3}, s.grad(), 0, 0);
        Tensor x2 = Tensor.parameter(TestData.array(7, 2, 3));
        sum(ElementwiseOps.mul(x2, 4.0)).backward();
        Compare.assertClose("implicit upstream through sum", new double[] {4, 4, 4, 4, 4, 4}, x2.grad(), 0, 0);

        // A non-scalar without an upstream gradient, or a mismatched one: clear errors.
        Tensor v = ElementwiseOps.mul(Tensor.parameter(TestData.array(8, 2, 2)), 2.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, v::backward);
        assertTrue(e.getMessage().contains("one-element") && e.getMessage().contains("[2, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> v.backward(NDArrays.ones(4)));
        assertTrue(e.getMessage().contains("does not match"), e.getMessage());
    }

    @Test
    void gradientsAccumulateUntilZeroGrad() {
        Tensor x = Tensor.parameter(TestData.array(9, 4));
        double[] xv = values(x);
        double[] once = new double[4];
        double[] twice = new double[4];
        for (int i = 0; i < 4; i++) {
            once[i] = 2 * xv[i];
            twice[i] = 4 * xv[i];
        }
        sum(ElementwiseOps.mul(x, x)).backward();
        NDArray g = x.grad();
        Compare.assertClose("first backward", once, g, ATOL, RTOL);
        sum(ElementwiseOps.mul(x, x)).backward();
        Compare.assertClose("second backward adds", twice, x.grad(), ATOL, RTOL);
        assertSame(g, x.grad(), "accumulated in place");
        x.zeroGrad();
        Compare.assertClose("after zeroGrad", new double[4], x.grad(), 0, 0);
        sum(ElementwiseOps.mul(x, x)).backward();
        Compare.assertClose("after zeroGrad and one backward", once, x.grad(), ATOL, RTOL);
        assertSame(g, x.grad(), "zeroGrad keeps the memory");
    }

    // ---- who gets gradients

    @Test
    void onlyLeavesRequiringGradGetGrad() {
        Tensor p = Tensor.parameter(TestData.array(10, 3));
        Tensor c = Tensor.constant(TestData.array(11, 3));
        Tensor frozen = Tensor.parameter(TestData.array(12, 3)).requiresGrad(false);
        Tensor h = ElementwiseOps.mul(p, c);
        Tensor y = sum(ElementwiseOps.add(ElementwiseOps.mul(h, frozen), c));
        assertTrue(h.requiresGrad() && !h.isLeaf() && "mul".equals(h.op()));
        y.backward();
        assertNotNull(p.grad());
        assertNull(c.grad(), "constants get no gradient");
        assertNull(frozen.grad(), "a leaf whose requiresGrad was turned off gets none");
        assertNull(h.grad(), "intermediate tensors get none");
        assertNull(y.grad(), "the root gets none");
        double[] cv = values(c);
        double[] fv = values(frozen);
        double[] expected = new double[3];
        for (int i = 0; i < 3; i++) {
            expected[i] = cv[i] * fv[i];
        }
        Compare.assertClose("d/dp", expected, p.grad(), ATOL, RTOL);

        // Ops on constants only record nothing, and backward on them says why.
        Tensor k = ElementwiseOps.mul(c, c);
        assertTrue(k.isLeaf() && !k.requiresGrad() && k.op() == null);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> k.backward(NDArrays.ones(3)));
        assertTrue(e.getMessage().contains("does not require a gradient"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> h.requiresGrad(false), "requiresGrad is for leaves");
    }

    @Test
    void detachCutsTheGraph() {
        // z = detach(x * x) * x: dz/dx = x^2 (not 3x^2), since the detached factor is a constant.
        Tensor x = Tensor.parameter(TestData.array(13, 5));
        Tensor d = ElementwiseOps.mul(x, x).detach();
        assertTrue(d.isLeaf() && !d.requiresGrad());
        Tensor z = ElementwiseOps.mul(d, x);
        z.backward(NDArrays.ones(5));
        double[] xv = values(x);
        double[] expected = new double[5];
        for (int i = 0; i < 5; i++) {
            expected[i] = xv[i] * xv[i];
        }
        Compare.assertClose("through a detached factor", expected, x.grad(), ATOL, RTOL);
        assertSame(x.data(), x.detach().data(), "detach shares the data");
    }

    // ---- gradient mode

    @Test
    void noGradBuildsNoGraph() throws Exception {
        Tensor p = Tensor.parameter(TestData.array(14, 2, 3));
        try (GradMode.Scope outer = GradMode.noGrad()) {
            assertFalse(GradMode.isEnabled());
            try (GradMode.Scope inner = GradMode.noGrad()) {
                Tensor y = ShapeOps.transpose(ElementwiseOps.tanh(p), 0, 1);
                assertNull(y.op());
                assertFalse(y.requiresGrad());
                assertTrue(y.isLeaf());
                assertThrows(IllegalStateException.class, () -> y.backward(NDArrays.ones(3, 2)));
            }
            assertFalse(GradMode.isEnabled(), "nested scopes: still off until the outer one closes");
            // Another thread records as usual.
            AtomicReference<String> op = new AtomicReference<>();
            Thread t = new Thread(() -> op.set(ElementwiseOps.neg(p).op()));
            t.start();
            t.join();
            assertEquals("neg", op.get());
        }
        assertTrue(GradMode.isEnabled());
        assertEquals("tanh", ElementwiseOps.tanh(p).op(), "recording resumes after the block");
    }

    @Test
    void noGradForwardKeepsMemoryFlat() {
        try (MemoryPool pool = new MemoryPool("no-grad test")) {
            MemoryScope params = MemoryScope.longLived("params", pool);
            Tensor w;
            Tensor b;
            try (MemoryScope.Activation ignored = params.activate()) {
                w = Tensor.parameter(TestData.array(15, 1, 8));
                b = Tensor.parameter(TestData.array(16, 8));
            }
            long reservedAfterFirst = -1;
            for (int i = 0; i < 2000; i++) {
                try (MemoryScope step = MemoryScope.open("forward", pool);
                     GradMode.Scope ignored = GradMode.noGrad()) {
                    Tensor x = Tensor.constant(TestData.array(100 + i % 3, 4, 8));
                    Tensor y = ElementwiseOps.tanh(ElementwiseOps.add(ElementwiseOps.mul(x, w), b));
                    Tensor out = ShapeOps.concat(ShapeOps.split(ShapeOps.transpose(y, 0, 1), 0, 3, 5), 0);
                    assertNull(out.op());
                }
                if (i == 0) {
                    reservedAfterFirst = pool.reservedBytes();
                } else {
                    assertEquals(reservedAfterFirst, pool.reservedBytes(), "pool grew at iteration " + i);
                }
            }
            assertEquals(params.ownedBytes(), pool.inUseBytes(), "only the parameters remain in use");
            assertNull(w.grad());
            params.close();
        }
    }

    // ---- the graph's lifetime

    @Test
    void backwardTwiceNeedsRetainGraph() {
        Tensor x = Tensor.parameter(NDArrays.scalar(2f));
        Tensor y = ElementwiseOps.mul(ElementwiseOps.tanh(x), x);
        y.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("second time") && e.getMessage().contains("retainGraph"), e.getMessage());

        Tensor x2 = Tensor.parameter(NDArrays.scalar(2f));
        Tensor y2 = ElementwiseOps.mul(ElementwiseOps.mul(x2, x2), 3.0);   // 3x^2, d/dx = 6x = 12
        y2.backward(null, true);
        y2.backward(null, true);
        assertEquals(24f, x2.grad().getFloat(), 0f, "retained graph runs twice, gradients add");
        y2.backward();
        assertEquals(36f, x2.grad().getFloat(), 0f);
        assertThrows(IllegalStateException.class, y2::backward, "the last backward without retainGraph freed it");
    }

    @Test
    void trainingStepTemporariesLiveInTheStepScopeAndGradsBesideTheParameters() {
        // A small model, pred = tanh(x * w + b), loss = sum((pred - t)^2), plain SGD by hand.
        double lr = 0.05;
        try (MemoryPool pool = new MemoryPool("training test")) {
            MemoryScope params = MemoryScope.longLived("params", pool);
            Tensor w;
            Tensor b;
            try (MemoryScope.Activation ignored = params.activate()) {
                w = Tensor.parameter(TestData.array(20, 1, 4));
                b = Tensor.parameter(TestData.array(21, 4));
            }
            long paramBytes = params.ownedBytes();
            long reservedAfterFirst = -1;
            long paramsAfterFirst = -1;
            NDArray wGrad = null;
            for (int step = 0; step < 100; step++) {
                NDArray xData = TestData.array(22, 8, 4);
                NDArray tData = TestData.array(23, 8, 4);
                double[] wv = values(w);
                double[] bv = values(b);
                try (MemoryScope scope = MemoryScope.open("step", pool)) {
                    Tensor x = Tensor.constant(xData);
                    Tensor pred = ElementwiseOps.tanh(ElementwiseOps.add(ElementwiseOps.mul(x, w), b));
                    Tensor diff = ElementwiseOps.sub(pred, Tensor.constant(tData));
                    Tensor loss = sum(ElementwiseOps.mul(diff, diff));
                    loss.backward();
                    assertTrue(scope.ownedBytes() > 0, "the step's temporaries are in the step scope");
                    assertTrue(pred.data().allocation().owner() == scope && loss.data().allocation().owner() == scope);
                    assertSame(params, w.grad().allocation().owner(), "grads live beside the parameters");

                    // The expected gradients, in double.
                    double[] xv = RefArrays.doubles(xData);
                    double[] tv = RefArrays.doubles(tData);
                    double[] gw = new double[4];
                    double[] gb = new double[4];
                    for (int i = 0; i < 32; i++) {
                        int j = i % 4;
                        double p = Math.tanh(xv[i] * wv[j] + bv[j]);
                        double dz = 2 * (p - tv[i]) * (1 - p * p);
                        gw[j] += dz * xv[i];
                        gb[j] += dz;
                    }
                    Compare.assertClose("dL/dw step " + step, gw, w.grad(), 1e-5, 1e-5);
                    Compare.assertClose("dL/db step " + step, gb, b.grad(), 1e-5, 1e-5);

                    for (Tensor p : List.of(w, b)) {
                        NDArray lrTimesGrad = Autograd.backend().binary(BinaryOp.MUL, p.grad(), NDArrays.scalar((float) lr));
                        Autograd.backend().copy(Autograd.backend().binary(BinaryOp.SUB, p.data(), lrTimesGrad), p.data());
                        p.zeroGrad();
                    }
                }
                assertTrue(w.grad().isAlive() && b.grad().isAlive(), "grads survive the step scope");
                // Step 0 allocates the grads (in the params scope); from step 1 on a backward adds
                // into existing grads, which takes one temporary per parameter (the sum, copied
                // into the grad) in the step scope. So the pool reaches its steady size after
                // step 1 and the params scope after step 0.
                if (step == 0) {
                    wGrad = w.grad();
                    paramsAfterFirst = params.ownedBytes();
                    assertTrue(paramsAfterFirst > paramBytes, "the first step allocated the grads in the params scope");
                } else {
                    assertSame(wGrad, w.grad(), "the grad array is reused");
                    assertEquals(paramsAfterFirst, params.ownedBytes(), "params scope grew at step " + step);
                }
                if (step == 1) {
                    reservedAfterFirst = pool.reservedBytes();
                } else if (step > 1) {
                    assertEquals(reservedAfterFirst, pool.reservedBytes(), "pool grew at step " + step);
                }
                assertEquals(params.ownedBytes(), pool.inUseBytes(), "nothing but parameters and grads stays in use");
            }
            params.close();
        }
    }

    @Test
    void backwardAfterTheStepScopeClosedFailsClearly() {
        try (MemoryPool pool = new MemoryPool("closed-scope test")) {
            Tensor p = Tensor.parameter(TestData.array(30, 3));
            Tensor loss;
            try (MemoryScope step = MemoryScope.open("step", pool)) {
                loss = sum(ElementwiseOps.mul(p, ElementwiseOps.tanh(p)));
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
            assertTrue(e.getMessage().contains("'step'") && e.getMessage().contains("scope"), e.getMessage());
            assertNull(p.grad());

            // The loss kept alive, but the arrays its graph saved freed: the rule that reads one throws.
            Tensor kept;
            try (MemoryScope outer = MemoryScope.open("outer", pool)) {
                try (MemoryScope inner = MemoryScope.open("inner", pool)) {
                    kept = sum(ElementwiseOps.tanh(p));
                    inner.keep(kept.data());
                }
                Tensor root = kept;
                e = assertThrows(IllegalStateException.class, root::backward);
                assertTrue(e.getMessage().contains("'inner'"), e.getMessage());
            }
            assertNull(p.grad());
        }
    }
}
