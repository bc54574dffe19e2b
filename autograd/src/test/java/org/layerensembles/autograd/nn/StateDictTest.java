package org.layerensembles.autograd.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.TestModules.Net;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * {@link Module#stateDict()} names and values (parameters, buffers, int64 counters),
 * {@link Module#loadStateDict} (copies, reports every mismatch at once, changes nothing then), and
 * {@link StateDict} itself. Values are compared exactly: loading copies bits.
 */
class StateDictTest {

    private static List<String> expectedNames() {
        List<String> names = new ArrayList<>();
        // module by module: own parameters, then buffers, then int64 counters (PyTorch's order)
        names.add("scale");
        names.add("encoder.block1.fc.weight");
        names.add("encoder.block1.fc.bias");
        names.add("encoder.block1.stat.running");
        names.add("encoder.block1.stat.steps");
        names.add("encoder.block2.fc.weight");
        names.add("encoder.block2.fc.bias");
        names.add("encoder.block2.stat.running");
        names.add("encoder.block2.stat.steps");
        names.add("head.weight");
        names.add("head.bias");
        return names;
    }

    /** A trained-looking net: its buffers and counters are no longer at their initial values. */
    private static Net stepped(long seed, int steps) {
        Net net = new Net(seed);
        for (int i = 0; i < steps; i++) {
            net.forward(TestModules.input(seed + 100 + i, 2, Net.IN));
        }
        return net;
    }

    @Test
    void stateDictNamesParametersBuffersAndCounters() {
        Net net = stepped(1, 3);
        StateDict state = net.stateDict();
        assertEquals(expectedNames(), List.copyOf(state.names()));
        assertEquals(expectedNames().size(), state.size());
        assertEquals(Net.COUNTER_NAMES, List.copyOf(state.longs().keySet()));
        assertEquals(3L, state.longValue("encoder.block1.stat.steps"));
        assertNull(state.array("encoder.block1.stat.steps"));
        assertNull(state.longValue("head.weight"));
        // the arrays are the live parameters and buffers (like PyTorch's state_dict without copies)
        net.namedParameters().forEach((name, p) -> assertSame(p.data(), state.array(name), name));
        net.namedBuffers().forEach((name, b) -> assertSame(b, state.array(name), name));
    }

    @Test
    void loadStateDictCopiesEveryValue() {
        Net source = stepped(1, 3);
        Net target = stepped(50, 1);
        target.loadStateDict(source.stateDict());
        StateDict loaded = target.stateDict();
        source.stateDict().arrays().forEach((name, a) -> {
            Compare.assertIdentical(name, a, loaded.array(name));
            // copied, not shared
            assertTrue(a != loaded.array(name), name);
        });
        assertEquals(source.stateDict().longs(), loaded.longs());
        assertEquals(3L, target.encoder.block2.stat.steps[0]);
        // the layers' own fields see the loaded values (the parameter tensors are the same objects)
        Compare.assertIdentical("head.weight", source.head.weight.data(), target.head.weight.data());
        // and the two models now compute the same thing
        Tensor x = TestModules.input(9, 3, Net.IN);
        Compare.assertIdentical("outputs", source.eval().forward(x).data(), target.eval().forward(x).data());
    }

    @Test
    void loadStateDictAcceptsNonContiguousSources() {
        Net target = new Net(1);
        StateDict state = new StateDict();
        target.stateDict().arrays().forEach((name, a) -> {
            int[] shape = a.shape();
            state.put(name, shape.length == 2
                    ? TestData.nonContiguous(7, shape)
                    : TestData.array(7, shape));
        });
        target.stateDict().longs().forEach((name, v) -> state.putLong(name, 42));
        target.loadStateDict(state);
        Compare.assertIdentical("weight", state.array("head.weight"), target.head.weight.data());
        assertEquals(42, target.encoder.block1.stat.steps[0]);
    }

    @Test
    void loadStateDictReportsAllMismatchesAtOnceAndChangesNothing() {
        Net target = stepped(50, 2);
        Map<String, String> before = snapshot(target);
        Net source = stepped(1, 3);
        StateDict state = new StateDict();
        source.stateDict().arrays().forEach((name, a) -> {
            switch (name) {
                case "encoder.block1.fc.bias" -> { } // missing
                case "encoder.block2.fc.weight" -> state.put(name, NDArrays.zeros(Net.HIDDEN, Net.HIDDEN + 1)); // shape
                case "head.bias" -> state.put(name, NDArrays.zeros(DType.INT32, Net.OUT)); // dtype
                case "encoder.block2.stat.running" -> state.putLong(name, 7); // int64 where an array belongs
                default -> state.put(name, a);
            }
        });
        state.put("encoder.block1.stat.steps", NDArrays.zeros(1)); // array where an int64 belongs
        state.putLong("encoder.block2.stat.steps", 3);
        state.put("head.extra", NDArrays.zeros(2)); // unexpected
        state.putLong("encoder.num_batches_tracked", 1); // unexpected int64

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> target.loadStateDict(state));
        String msg = e.getMessage();
        for (String part : List.of("missing 'encoder.block1.fc.bias'", "unexpected 'head.extra'",
                "unexpected 'encoder.num_batches_tracked'", "'encoder.block2.fc.weight': float32 [4, 5]",
                "'head.bias': int32 [2]", "'encoder.block2.stat.running' is an int64 scalar in the file",
                "'encoder.block1.stat.steps' is an array in the file")) {
            assertTrue(msg.contains(part), "missing '" + part + "' in: " + msg);
        }
        assertEquals(7, msg.split("; ").length, msg);
        assertEquals(before, snapshot(target));
    }

    @Test
    void loadStateDictRejectsArraysWhoseScopeHasClosedBeforeChangingAnything() {
        Net target = stepped(50, 2);
        Map<String, String> before = snapshot(target);
        Net source = stepped(1, 1);
        StateDict state = new StateDict();
        try (MemoryScope scope = MemoryScope.open()) {
            source.stateDict().arrays().forEach((name, a) ->
                    state.put(name, name.equals("head.bias") ? NDArrays.zeros(a.shape()) : a));
        }
        source.stateDict().longs().forEach(state::putLong);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> target.loadStateDict(state));
        assertTrue(e.getMessage().contains("'head.bias'") && e.getMessage().contains("closed"), e.getMessage());
        assertEquals(before, snapshot(target));
    }

    @Test
    void loadingIntoAModelWithASharedModuleFillsItUnderEveryName() {
        TestModules.Affine shared = new TestModules.Affine(2, 2, 1);
        Sequential twice = new Sequential(shared, shared);
        StateDict state = new StateDict()
                .put("0.weight", NDArrays.full(1, 2, 2)).put("0.bias", NDArrays.full(2, 2))
                .put("1.weight", NDArrays.full(1, 2, 2)).put("1.bias", NDArrays.full(2, 2));
        twice.loadStateDict(state);
        Compare.assertIdentical("bias", NDArrays.full(2, 2), shared.bias.data());
        assertThrows(IllegalArgumentException.class, () -> twice.loadStateDict(new StateDict()
                .put("0.weight", NDArrays.full(1, 2, 2)).put("0.bias", NDArrays.full(2, 2))));
    }

    @Test
    void aReplacedBufferIsTheOneSavedAndLoaded() {
        TestModules.Open m = new TestModules.Open();
        NDArray old = m.buf("running", NDArrays.zeros(2));
        NDArray fresh = NDArrays.full(3, 2);
        m.swap("running", fresh);
        assertSame(fresh, m.stateDict().array("running"));
        m.loadStateDict(new StateDict().put("running", NDArrays.full(5, 2)));
        Compare.assertIdentical("loaded", NDArrays.full(5, 2), fresh);
        Compare.assertIdentical("old untouched", NDArrays.zeros(2), old);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.swap("runing", NDArrays.zeros(2)));
        assertTrue(e.getMessage().contains("'runing'") && e.getMessage().contains("running"), e.getMessage());
    }

    // ---- StateDict

    @Test
    void aNameAppearsOnceAcrossArraysAndLongs() {
        StateDict d = new StateDict().put("a", NDArrays.zeros(1)).putLong("n", 1);
        assertThrows(IllegalArgumentException.class, () -> d.put("a", NDArrays.zeros(1)));
        assertThrows(IllegalArgumentException.class, () -> d.putLong("a", 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.put("n", NDArrays.zeros(1)));
        assertTrue(e.getMessage().contains("'n'"), e.getMessage());
        assertEquals(2, d.size());
        assertEquals(1L, d.longValue("n"));
    }

    @Test
    void namesListEntriesInInsertionOrderAndTheViewsAreReadOnly() {
        StateDict d = new StateDict().putLong("z", 1).put("b", NDArrays.zeros(1)).putLong("y", 2).put("a", NDArrays.zeros(1));
        assertEquals(List.of("z", "b", "y", "a"), List.copyOf(d.names()));
        assertThrows(UnsupportedOperationException.class, () -> d.arrays().clear());
        assertThrows(UnsupportedOperationException.class, () -> d.longs().put("x", 3L));
        assertThrows(NullPointerException.class, () -> d.put("n", null));
        assertThrows(NullPointerException.class, () -> d.put(null, NDArrays.zeros(1)));
    }

    @Test
    void putAllPrefixesAndWithPrefixSelectsAndStrips() {
        StateDict model = new Net(1).stateDict();
        StateDict optimizer = new StateDict().put("state.0.momentum", NDArrays.zeros(2)).putLong("step", 12);
        StateDict checkpoint = new StateDict().putAll("model.", model).putAll("optimizer.", optimizer);
        assertEquals(model.size() + optimizer.size(), checkpoint.size());
        assertEquals(12L, checkpoint.longValue("optimizer.step"));
        assertSame(model.array("head.weight"), checkpoint.array("model.head.weight"));

        StateDict back = checkpoint.withPrefix("model.");
        assertEquals(List.copyOf(model.names()), List.copyOf(back.names()));
        model.arrays().forEach((name, a) -> assertSame(a, back.array(name)));
        assertEquals(model.longs(), back.longs());
        StateDict opt = checkpoint.withPrefix("optimizer.");
        assertEquals(List.of("state.0.momentum", "step"), List.copyOf(opt.names()));
        assertEquals(0, checkpoint.withPrefix("nothing.").size());
        assertEquals(checkpoint.size(), checkpoint.withPrefix("").size());
        // a submodule's entries, as loadStateDict of that submodule wants them
        Net net = new Net(2);
        net.get("encoder").loadStateDict(checkpoint.withPrefix("model.encoder."));
        Compare.assertIdentical("loaded", model.array("encoder.block2.fc.weight"), net.encoder.block2.fc.weight.data());
    }

    @Test
    void putAllWithAClashAddsNothing() {
        StateDict d = new StateDict().put("m.b", NDArrays.zeros(1));
        StateDict other = new StateDict().put("a", NDArrays.zeros(1)).put("b", NDArrays.zeros(1)).putLong("c", 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.putAll("m.", other));
        assertTrue(e.getMessage().contains("'m.b'"), e.getMessage());
        assertEquals(List.of("m.b"), List.copyOf(d.names()));
    }

    /** Every value of the model's state as text (Float.toString round-trips exactly). */
    private static Map<String, String> snapshot(Module m) {
        Map<String, String> out = new LinkedHashMap<>();
        StateDict s = m.stateDict();
        s.arrays().forEach((name, a) -> out.put(name, Arrays.toString(a.toFloatArray())));
        s.longs().forEach((name, v) -> out.put(name, Long.toString(v)));
        return out;
    }
}
