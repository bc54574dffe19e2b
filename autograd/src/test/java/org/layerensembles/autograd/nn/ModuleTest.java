package org.layerensembles.autograd.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.TestModules.Affine;
import org.layerensembles.autograd.nn.TestModules.Net;
import org.layerensembles.autograd.nn.TestModules.Open;
import org.layerensembles.autograd.nn.TestModules.Stat;
import org.layerensembles.autograd.ops.ElementwiseOps;
import org.layerensembles.autograd.ops.ReductionOps;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;

/**
 * The module tree: dotted names in PyTorch's order, parameters kept apart from buffers and
 * counters, lookup by path, train/eval, zeroGrad, and the checks on registration.
 */
class ModuleTest {

    @Test
    void namedModulesListsRootThenDescendantsByDottedPathParentsFirst() {
        Net net = new Net(1);
        Map<String, Module> modules = net.namedModules();
        assertEquals(Net.MODULE_PATHS, List.copyOf(modules.keySet()));
        assertSame(net, modules.get(""));
        assertSame(net.encoder, modules.get("encoder"));
        assertSame(net.encoder.block1.fc, modules.get("encoder.block1.fc"));
        assertSame(net.encoder.block2.stat, modules.get("encoder.block2.stat"));
        assertSame(net.head, modules.get("head"));
    }

    @Test
    void childrenAreOnlyTheDirectOnesAndACopy() {
        Net net = new Net(1);
        Map<String, Module> children = net.children();
        assertEquals(List.of("encoder", "head"), List.copyOf(children.keySet()));
        children.clear();
        assertEquals(2, net.children().size());
    }

    @Test
    void namedParametersOwnFirstThenChildrenInRegistrationOrder() {
        Net net = new Net(1);
        Map<String, Tensor> named = net.namedParameters();
        assertEquals(Net.PARAMETER_NAMES, List.copyOf(named.keySet()));
        assertSame(net.scale, named.get("scale"));
        assertSame(net.encoder.block1.fc.weight, named.get("encoder.block1.fc.weight"));
        assertSame(net.head.bias, named.get("head.bias"));
        assertEquals(List.copyOf(named.values()), net.parameters());
        for (Tensor p : net.parameters()) {
            assertTrue(p.requiresGrad() && p.isLeaf());
        }
    }

    @Test
    void buffersAndCountersAreNotParameters() {
        Net net = new Net(1);
        Map<String, NDArray> buffers = net.namedBuffers();
        assertEquals(Net.BUFFER_NAMES, List.copyOf(buffers.keySet()));
        assertSame(net.encoder.block1.stat.running, buffers.get("encoder.block1.stat.running"));
        for (String name : net.namedParameters().keySet()) {
            assertFalse(name.contains("running") || name.contains("steps"), name);
        }
        for (String name : buffers.keySet()) {
            assertFalse(name.contains("steps"), name);
        }
        // a module with only state has no parameters
        assertTrue(new Stat(3).parameters().isEmpty());
    }

    @Test
    void getFindsEveryPathAndTheRootAndListsKnownPathsOnAMiss() {
        Net net = new Net(1);
        assertSame(net, net.get(""));
        assertSame(net.encoder.block2, net.get("encoder.block2"));
        assertSame(net.encoder.block2.fc, net.get("encoder").get("block2.fc"));
        for (String path : Net.MODULE_PATHS) {
            assertSame(net.namedModules().get(path), net.get(path));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.get("encoder.block3"));
        assertTrue(e.getMessage().contains("'encoder.block3'"), e.getMessage());
        for (String path : List.of("encoder.block1", "encoder.block2.fc", "head")) {
            assertTrue(e.getMessage().contains(path), e.getMessage());
        }
        // a parameter's name is not a module path
        assertThrows(IllegalArgumentException.class, () -> net.get("head.weight"));
    }

    @Test
    void trainAndEvalReachEveryDescendant() {
        Net net = new Net(1);
        for (Module m : net.namedModules().values()) {
            assertTrue(m.isTraining());
        }
        assertSame(net, net.eval());
        for (Module m : net.namedModules().values()) {
            assertFalse(m.isTraining());
        }
        net.train();
        for (Module m : net.namedModules().values()) {
            assertTrue(m.isTraining());
        }
        // a subtree only
        net.get("encoder.block1").eval();
        net.namedModules().forEach((path, m) -> assertEquals(!path.startsWith("encoder.block1"), m.isTraining(), path));
        net.train(true);
        // and the mode changes behaviour: Stat counts training forwards only
        Tensor x = TestModules.input(5, 2, Net.IN);
        net.forward(x);
        net.eval();
        net.forward(x);
        assertEquals(1, net.encoder.block1.stat.steps[0]);
        assertEquals(1, net.encoder.block2.stat.steps[0]);
    }

    @Test
    void zeroGradZeroesEveryParameterGradientAndKeepsItsMemory() {
        Net net = new Net(1);
        net.zeroGrad(); // no gradients yet: nothing to do
        for (Tensor p : net.parameters()) {
            assertNull(p.grad());
        }
        ReductionOps.sum(net.forward(TestModules.input(5, 2, Net.IN))).backward();
        List<NDArray> grads = new ArrayList<>();
        boolean anyNonZero = false;
        for (Tensor p : net.parameters()) {
            assertNotNull(p.grad());
            grads.add(p.grad());
            for (float v : p.grad().toFloatArray()) {
                anyNonZero |= v != 0;
            }
        }
        assertTrue(anyNonZero);
        net.zeroGrad();
        List<Tensor> params = net.parameters();
        for (int i = 0; i < params.size(); i++) {
            assertSame(grads.get(i), params.get(i).grad());
            for (float v : params.get(i).grad().toFloatArray()) {
                assertEquals(0f, v);
            }
        }
    }

    @Test
    void duplicateNamesFailClearlyAcrossChildrenParametersBuffersAndCounters() {
        Open m = new Open();
        m.child("a", new Open());
        m.param("w", Tensor.parameter(NDArrays.zeros(2)));
        m.buf("b", NDArrays.zeros(2));
        m.count("n");
        List<Runnable> clashes = List.of(
                () -> m.child("a", new Open()),
                () -> m.child("w", new Open()),
                () -> m.param("a", Tensor.parameter(NDArrays.zeros(2))),
                () -> m.param("w", Tensor.parameter(NDArrays.zeros(2))),
                () -> m.buf("n", NDArrays.zeros(2)),
                () -> m.count("b"));
        for (Runnable clash : clashes) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, clash::run);
            assertTrue(e.getMessage().contains("already used"), e.getMessage());
        }
        assertEquals(List.of("", "a"), List.copyOf(m.namedModules().keySet()));
        assertEquals(List.of("w"), List.copyOf(m.namedParameters().keySet()));
    }

    @Test
    void dottedOrEmptyNamesFail() {
        Open m = new Open();
        for (String bad : new String[] {"a.b", ".", "", "x."}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.child(bad, new Open()));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.param(bad, Tensor.parameter(NDArrays.zeros(1))));
            assertThrows(IllegalArgumentException.class, () -> m.buf(bad, NDArrays.zeros(1)));
            assertThrows(IllegalArgumentException.class, () -> m.count(bad));
        }
        assertEquals(1, m.namedModules().size());
    }

    @Test
    void nullNamesAndPartsFailWithTheName() {
        Open m = new Open();
        assertTrue(assertThrows(NullPointerException.class, () -> m.child("c", null)).getMessage().contains("'c'"));
        assertTrue(assertThrows(NullPointerException.class, () -> m.param("p", null)).getMessage().contains("'p'"));
        assertTrue(assertThrows(NullPointerException.class, () -> m.buf("b", null)).getMessage().contains("'b'"));
        assertThrows(NullPointerException.class, () -> m.child(null, new Open()));
        assertEquals(1, m.namedModules().size());
    }

    @Test
    void parameterRejectsNonLeafAndNonRequiringTensors() {
        Open m = new Open();
        Tensor leaf = Tensor.parameter(NDArrays.ones(2));
        Tensor nonLeaf = ElementwiseOps.mul(leaf, 2.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.param("p", nonLeaf));
        assertTrue(e.getMessage().contains("'p'") && e.getMessage().contains("leaf"), e.getMessage());
        Tensor constant = Tensor.constant(NDArrays.ones(2));
        e = assertThrows(IllegalArgumentException.class, () -> m.param("c", constant));
        assertTrue(e.getMessage().contains("'c'") && e.getMessage().contains("require"), e.getMessage());
        // a detached copy of an op result that is then made to require a gradient is fine
        assertSame(leaf, m.param("ok", leaf));
        Tensor made = nonLeaf.detach().requiresGrad(true);
        assertSame(made, m.param("made", made));
        assertEquals(List.of("ok", "made"), List.copyOf(m.namedParameters().keySet()));
    }

    @Test
    void aModuleOrParameterSharedInTwoPlacesIsListedOnceButReachableByEveryPath() {
        Affine shared = new Affine(2, 2, 1);
        Open root = new Open();
        root.child("first", shared);
        Open other = root.child("other", new Open());
        other.child("again", shared);
        Tensor tied = other.param("tied", shared.weight); // a tied weight
        // like PyTorch: each module and each parameter once, under the first path met
        assertEquals(List.of("", "first", "other"),
                List.copyOf(root.namedModules().keySet()));
        assertEquals(List.of("first.weight", "first.bias"), List.copyOf(root.namedParameters().keySet()));
        assertEquals(2, root.parameters().size());
        assertSame(tied, root.namedParameters().get("first.weight"));
        // but every path still resolves, and the state dict names every place, as PyTorch's does
        assertSame(shared, root.get("other.again"));
        assertEquals(List.of("first.weight", "first.bias", "other.tied", "other.again.weight", "other.again.bias"),
                List.copyOf(root.stateDict().names()));
        // train/eval reach it once
        root.eval();
        assertFalse(shared.isTraining());
    }

    @Test
    void cyclesAreRejected() {
        Open a = new Open();
        Open b = a.child("b", new Open());
        Open c = b.child("c", new Open());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.child("self", a));
        assertTrue(e.getMessage().contains("cycle"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.child("up", a));
        assertEquals(List.of("", "b", "b.c"), List.copyOf(a.namedModules().keySet()));
    }

    @Test
    void toStringNamesTheClassAndParameters() {
        assertEquals("Affine[weight, bias]", new Affine(2, 3, 1).toString());
    }
}
