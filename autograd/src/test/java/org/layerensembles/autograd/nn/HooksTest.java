package org.layerensembles.autograd.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.GradMode;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.TestModules.Affine;
import org.layerensembles.autograd.nn.TestModules.Net;
import org.layerensembles.autograd.nn.TestModules.ScaleShift;
import org.layerensembles.autograd.nn.TestModules.Twice;
import org.layerensembles.autograd.ops.ElementwiseOps;
import org.layerensembles.autograd.ops.ReductionOps;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;

/**
 * Forward hooks: what they see, their order, registration by path, removal, a module called
 * twice, and capturing intermediate outputs for a loss (the Layer Ensembles use).
 */
class HooksTest {
    /** A hook's view of one call. */
    record Call(String tag, Module module, Tensor input, Tensor output) {
    }

    private static ForwardHook recorder(String tag, List<Call> calls) {
        return (m, in, out) -> calls.add(new Call(tag, m, in, out));
    }

    @Test
    void aHookSeesItsModuleTheInputAndTheOutput() {
        Affine fc = new Affine(3, 2, 1);
        List<Call> calls = new ArrayList<>();
        fc.registerForwardHook(recorder("fc", calls));
        Tensor x = TestModules.input(2, 4, 3);
        Tensor y = fc.forward(x);
        assertEquals(1, calls.size());
        assertSame(fc, calls.get(0).module());
        assertSame(x, calls.get(0).input());
        assertSame(y, calls.get(0).output());
    }

    @Test
    void childHooksSeeWhatFlowsBetweenChildrenAndFireBeforeTheirParents() {
        Net net = new Net(1);
        List<Call> calls = new ArrayList<>();
        for (String path : List.of("", "encoder", "encoder.block1", "encoder.block2", "head")) {
            net.registerForwardHook(path, recorder(path, calls));
        }
        Tensor x = TestModules.input(2, 5, Net.IN);
        Tensor y = net.forward(x);
        assertEquals(List.of("encoder.block1", "encoder.block2", "encoder", "head", ""),
                calls.stream().map(Call::tag).toList());
        assertSame(x, calls.get(0).input());
        assertSame(calls.get(0).output(), calls.get(1).input());
        assertSame(calls.get(1).output(), calls.get(2).output());
        assertSame(calls.get(2).output(), calls.get(3).input());
        assertSame(y, calls.get(4).output());
        assertSame(net.head, calls.get(3).module());
        assertSame(net.encoder.block2, calls.get(1).module());
    }

    @Test
    void hooksFireInRegistrationOrder() {
        ScaleShift m = new ScaleShift(2, 0);
        List<String> order = new ArrayList<>();
        for (String tag : List.of("c", "a", "b", "a")) {
            m.registerForwardHook((mod, in, out) -> order.add(tag));
        }
        m.forward(TestModules.input(1, 2));
        assertEquals(List.of("c", "a", "b", "a"), order);
    }

    @Test
    void registeringByAnUnknownPathFailsAndListsThePaths() {
        Net net = new Net(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.registerForwardHook("encoder.blok1", (m, in, out) -> { }));
        assertTrue(e.getMessage().contains("encoder.block1"), e.getMessage());
    }

    @Test
    void removeAndCloseStopAHookAndRemovingTwiceIsHarmless() {
        Net net = new Net(1);
        Tensor x = TestModules.input(2, 2, Net.IN);
        List<String> fired = new ArrayList<>();
        ForwardHook same = (m, in, out) -> fired.add("same");
        HookHandle first = net.registerForwardHook("head", same);
        HookHandle second = net.registerForwardHook("head", same); // the same hook object twice
        HookHandle other = net.registerForwardHook("head", (m, in, out) -> fired.add("other"));
        net.forward(x);
        assertEquals(List.of("same", "same", "other"), fired);

        fired.clear();
        first.remove();
        first.remove(); // must not remove the second registration of the same hook
        first.close();
        net.forward(x);
        assertEquals(List.of("same", "other"), fired);

        fired.clear();
        try (HookHandle scoped = net.registerForwardHook("encoder", (m, in, out) -> fired.add("scoped"))) {
            net.forward(x);
        }
        net.forward(x);
        assertEquals(List.of("scoped", "same", "other", "same", "other"), fired);

        fired.clear();
        second.close();
        other.remove();
        other.remove();
        net.forward(x);
        assertTrue(fired.isEmpty());
    }

    @Test
    void aHookMayRemoveItselfWhileFiring() {
        ScaleShift m = new ScaleShift(1, 1);
        List<String> fired = new ArrayList<>();
        HookHandle[] handle = new HookHandle[1];
        handle[0] = m.registerForwardHook((mod, in, out) -> {
            fired.add("once");
            handle[0].remove();
        });
        m.registerForwardHook((mod, in, out) -> fired.add("always"));
        m.forward(TestModules.input(1, 2));
        m.forward(TestModules.input(1, 2));
        assertEquals(List.of("once", "always", "always"), fired);
    }

    @Test
    void aModuleCalledTwiceInOneForwardFiresItsHookTwice() {
        ScaleShift inner = new ScaleShift(2, 1);
        Twice twice = new Twice(inner);
        List<Call> calls = new ArrayList<>();
        twice.registerForwardHook("child", recorder("child", calls));
        Tensor x = TestModules.input(3, 2, 2);
        Tensor y = twice.forward(x);
        assertEquals(2, calls.size());
        assertSame(x, calls.get(0).input());
        assertSame(calls.get(0).output(), calls.get(1).input());
        assertSame(y, calls.get(1).output());
        // the same holds when one module is registered twice in a container
        calls.clear();
        Sequential seq = new Sequential(inner, inner);
        inner.registerForwardHook(recorder("direct", calls));
        seq.forward(x);
        assertEquals(4, calls.size()); // two hooks, two calls each
    }

    /**
     * A loss on an intermediate output captured by a hook sends gradients to the parameters
     * before that point only, with the values of the hand-written backward of
     * L = sum(relu(x·W1 + b1)): dW1 = x^T·m, db1 = column sums of m, m = [x·W1 + b1 > 0].
     * Tolerance: atol 1e-6 + rtol 1e-6 (sums of at most 4 float32 products of magnitude <= 1).
     */
    @Test
    void aLossOnAHookedIntermediateOutputTrainsOnlyTheLayersBeforeIt() {
        Net net = new Net(7);
        List<Tensor> captured = new ArrayList<>();
        try (HookHandle h = net.registerForwardHook("encoder.block1", (m, in, out) -> captured.add(out))) {
            net.forward(TestModules.input(3, 4, Net.IN));
        }
        assertEquals(1, captured.size());
        ReductionOps.sum(captured.get(0)).backward();

        assertNotNull(net.encoder.block1.fc.weight.grad());
        assertNotNull(net.encoder.block1.fc.bias.grad());
        for (String later : List.of("encoder.block2.fc.weight", "encoder.block2.fc.bias", "head.weight",
                "head.bias", "scale")) {
            assertNull(net.namedParameters().get(later).grad(), later);
        }

        double[] x = RefArrays.doubles(TestModules.input(3, 4, Net.IN).data());
        double[] w = RefArrays.doubles(net.encoder.block1.fc.weight.data());
        double[] b = RefArrays.doubles(net.encoder.block1.fc.bias.data());
        int n = 4;
        int in = Net.IN;
        int out = Net.HIDDEN;
        double[] dw = new double[in * out];
        double[] db = new double[out];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < out; j++) {
                double z = b[j];
                for (int k = 0; k < in; k++) {
                    z += x[i * in + k] * w[k * out + j];
                }
                if (z > 0) {
                    db[j] += 1;
                    for (int k = 0; k < in; k++) {
                        dw[k * out + j] += x[i * in + k];
                    }
                }
            }
        }
        Compare.assertClose("dW1", dw, net.encoder.block1.fc.weight.grad(), 1e-6, 1e-6);
        Compare.assertClose("db1", db, net.encoder.block1.fc.bias.grad(), 1e-6, 1e-6);
    }

    /**
     * Gradients through a captured output and through the model's output add up: the loss
     * sum(y) + sum(h1) gives every first-layer parameter the sum of the gradients the two
     * losses give separately. Tolerance: atol 1e-6 + rtol 1e-5.
     */
    @Test
    void gradientsThroughCapturedAndFinalOutputsAdd() {
        Tensor x = TestModules.input(4, 3, Net.IN);
        NDArray[] alone = new NDArray[2];
        for (int run = 0; run < 2; run++) {
            Net net = new Net(3);
            List<Tensor> captured = new ArrayList<>();
            net.registerForwardHook("encoder.block1", (m, in, out) -> captured.add(out));
            Tensor y = net.forward(x);
            Tensor loss = run == 0 ? ReductionOps.sum(y) : ReductionOps.sum(captured.get(0));
            loss.backward();
            alone[run] = net.encoder.block1.fc.weight.grad();
        }
        Net net = new Net(3);
        List<Tensor> captured = new ArrayList<>();
        net.registerForwardHook("encoder.block1", (m, in, out) -> captured.add(out));
        Tensor y = net.forward(x);
        ElementwiseOps.add(ReductionOps.sum(y), ReductionOps.sum(captured.get(0))).backward();
        double[] a = RefArrays.doubles(alone[0]);
        double[] b = RefArrays.doubles(alone[1]);
        double[] sum = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            sum[i] = a[i] + b[i];
        }
        Compare.assertClose("dW1 of both losses", sum, net.encoder.block1.fc.weight.grad(), 1e-6, 1e-5);
    }

    @Test
    void hooksStillFireWithoutGradientsAndSeeConstants() {
        Net net = new Net(1);
        List<Call> calls = new ArrayList<>();
        net.registerForwardHook("encoder.block2.fc", recorder("fc", calls));
        try (var off = GradMode.noGrad()) {
            net.forward(TestModules.input(2, 2, Net.IN));
        }
        assertEquals(1, calls.size());
        assertTrue(calls.get(0).output().isLeaf());
    }
}
