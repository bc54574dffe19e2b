package org.layerensembles.autograd.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.layers.BatchNorm2d;
import org.layerensembles.autograd.nn.layers.Conv2d;
import org.layerensembles.autograd.ops.ReductionOps;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Backends;
import org.layerensembles.core.memory.MemoryScope;

/** Module.to and toHost rebind parameters and buffers to what the backend's mover returns. */
class ModuleToTest {

    /** The CPU backend, except that toDevice/toHost return copies (as a device backend would) and are recorded. */
    private static Backend copyingBackend(Map<NDArray, NDArray> moves) {
        Backend cpu = Backends.cpu();
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("toDevice") || method.getName().equals("toHost")) {
                        NDArray x = (NDArray) args[0];
                        NDArray copy = NDArrays.empty(x.dtype(), x.shape());
                        cpu.copy(x, copy);
                        moves.put(x, copy);
                        return copy;
                    }
                    try {
                        return method.invoke(cpu, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void parametersKeepTheirIdentityAndBuffersAreReplacedInTheOwnersScope() {
        try (MemoryScope params = MemoryScope.longLived("params")) {
            Sequential model;
            try (MemoryScope.Activation ignored = params.activate()) {
                model = new Sequential(new Conv2d(2, 3, 3, 1, 1, new SeededRandom(1)), new BatchNorm2d(3));
            }
            List<Tensor> before = model.parameters();
            Map<Tensor, NDArray> oldData = new IdentityHashMap<>();
            before.forEach(p -> oldData.put(p, p.data()));
            ReductionOps.sum(before.get(0)).backward();
            assertNotNull(before.get(0).grad());
            NDArray oldMean = model.namedBuffers().get("1.running_mean");

            Map<NDArray, NDArray> moves = new IdentityHashMap<>();
            try (MemoryScope step = MemoryScope.open()) {
                model.to(copyingBackend(moves));
            }
            List<Tensor> after = model.parameters();
            assertEquals(before, after, "the same Tensor objects, so optimizers keep working");
            for (Tensor p : after) {
                assertSame(moves.get(oldData.get(p)), p.data());
                assertNotSame(oldData.get(p), p.data());
                assertSame(params, p.data().allocation().owner(), "made in the scope that owned the old data");
                assertArrayEquals(oldData.get(p).toFloatArray(), p.data().toFloatArray());
                assertNull(p.grad());
            }
            BatchNorm2d bn = (BatchNorm2d) model.get("1");
            assertSame(moves.get(oldMean), bn.runningMean());
            assertSame(bn.runningMean(), model.namedBuffers().get("1.running_mean"));
            assertSame(bn.runningMean(), model.stateDict().array("1.running_mean"));
            assertEquals(before.size() + 2, moves.size(), "every parameter and buffer moved once");

            model.toHost(copyingBackend(moves));
            assertEquals(before, model.parameters());
        }
    }

    @Test
    void replaceDataKeepsShapeAndDtype() {
        Tensor p = Tensor.parameter(NDArrays.zeros(2, 3));
        assertThrows(IllegalArgumentException.class, () -> p.replaceData(NDArrays.zeros(3, 2)));
        NDArray other = NDArrays.ones(2, 3);
        p.replaceData(other);
        assertSame(other, p.data());
    }
}
