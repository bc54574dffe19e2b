package org.layerensembles.autograd.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layerensembles.autograd.optim.OptimTesting.grad;
import static org.layerensembles.autograd.optim.OptimTesting.named;
import static org.layerensembles.autograd.optim.OptimTesting.param;
import static org.layerensembles.autograd.optim.OptimTesting.setGrad;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.StateDict;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.memory.MemoryPool;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.core.testing.Compare;

/**
 * What every optimizer shares ({@link Optimizer}): state dict names, snapshots, exact round
 * trips, mismatch reports, and where state memory lives. Everything here is exact (bits), no
 * tolerance.
 */
class OptimizerStateTest {
    private static final int K = 4;

    private static Map<String, Tensor> params() {
        return named("enc.weight", param(1, 3, 4), "enc.bias", param(2, 4), "head.weight", param(3, 4, 2));
    }

    private static void gradsForStep(Map<String, Tensor> ps, int t) {
        long seed = 10;
        for (Tensor p : ps.values()) {
            setGrad(p, grad(seed++, t, (int) p.numel()));
        }
    }

    private static List<float[]> snapshot(Map<String, Tensor> ps) {
        List<float[]> out = new ArrayList<>();
        ps.values().forEach(p -> out.add(p.data().toFloatArray()));
        return out;
    }

    private static void restore(Map<String, Tensor> ps, List<float[]> values) {
        int i = 0;
        for (Tensor p : ps.values()) {
            float[] v = values.get(i++);
            Autograd.backend().copy(NDArrays.of(v, p.shape()), p.data());
        }
    }

    private static void assertSameBits(String what, List<float[]> a, List<float[]> b) {
        for (int i = 0; i < a.size(); i++) {
            for (int j = 0; j < a.get(i).length; j++) {
                assertEquals(Float.floatToRawIntBits(a.get(i)[j]), Float.floatToRawIntBits(b.get(i)[j]),
                        what + ": tensor " + i + " element " + j);
            }
        }
    }

    /**
     * Save after 3 steps, run K more, reload (into the same optimizer and into a new one) with the
     * parameters put back, run the same K steps: identical bits, and the same state dict.
     */
    private static void roundTrip(String what, Function<Map<String, Tensor>, Optimizer> make) {
        Map<String, Tensor> ps = params();
        Optimizer opt = make.apply(ps);
        StepLR schedule = new StepLR(opt, 2, 0.5);
        for (int t = 1; t <= 3; t++) {
            gradsForStep(ps, t);
            opt.step();
            schedule.step();
        }
        StateDict saved = opt.stateDict();
        StateDict savedSchedule = schedule.stateDict();
        List<float[]> savedParams = snapshot(ps);
        List<float[]> savedState = new ArrayList<>();
        saved.arrays().values().forEach(a -> savedState.add(a.toFloatArray()));
        for (int t = 4; t < 4 + K; t++) {
            gradsForStep(ps, t);
            opt.step();
            schedule.step();
        }
        List<float[]> first = snapshot(ps);
        StateDict firstState = opt.stateDict();
        double firstLr = opt.lr();

        // The saved dict is a snapshot: the K steps did not change it.
        List<float[]> savedAgain = new ArrayList<>();
        saved.arrays().values().forEach(a -> savedAgain.add(a.toFloatArray()));
        assertSameBits(what + " snapshot", savedState, savedAgain);

        for (boolean fresh : new boolean[] {false, true}) {
            restore(ps, savedParams);
            Optimizer o = fresh ? make.apply(ps) : opt;
            StepLR s = fresh ? new StepLR(o, 2, 0.5) : schedule;
            o.loadStateDict(saved);
            s.loadStateDict(savedSchedule);
            assertEquals(3, o.stepCount());
            for (int t = 4; t < 4 + K; t++) {
                gradsForStep(ps, t);
                o.step();
                s.step();
            }
            String w = what + (fresh ? " (new optimizer)" : " (same optimizer)");
            assertSameBits(w, first, snapshot(ps));
            assertEquals(firstLr, o.lr(), w + " lr");
            StateDict again = o.stateDict();
            assertEquals(List.copyOf(firstState.names()), List.copyOf(again.names()), w + " names");
            firstState.arrays().forEach((name, a) -> Compare.assertIdentical(w + " " + name, a, again.array(name)));
            assertEquals(firstState.longs(), again.longs(), w + " int64 entries");
        }
    }

    @Test
    void adamRoundTripIsExact() {
        roundTrip("Adam", ps -> new Adam(ps, Adam.Options.defaults().withLr(0.05).withWeightDecay(0.01)));
    }

    @Test
    void adamWRoundTripIsExact() {
        roundTrip("AdamW", ps -> new AdamW(ps, AdamW.defaults().withLr(0.05)));
    }

    @Test
    void sgdRoundTripIsExact() {
        roundTrip("SGD", ps -> new SGD(ps, SGD.Options.defaults().withLr(0.1).withMomentum(0.9).withNesterov(true)));
    }

    @Test
    void stateDictNamesFollowPyTorch() {
        Map<String, Tensor> ps = params();
        Adam adam = new Adam(ps, Adam.Options.defaults());
        gradsForStep(ps, 1);
        adam.step();
        StateDict sd = adam.stateDict();
        assertEquals(List.of("enc.weight.exp_avg", "enc.weight.exp_avg_sq", "enc.bias.exp_avg", "enc.bias.exp_avg_sq",
                "head.weight.exp_avg", "head.weight.exp_avg_sq", "enc.weight.step", "enc.bias.step", "head.weight.step",
                "step", "lr.f64bits"), List.copyOf(sd.names()));
        assertEquals(1e-3, Double.longBitsToDouble(sd.longValue("lr.f64bits")));
        SGD sgd = new SGD(ps, SGD.Options.defaults().withMomentum(0.5));
        sgd.step();
        assertEquals(List.of("enc.weight.momentum_buffer", "enc.bias.momentum_buffer", "head.weight.momentum_buffer",
                "step", "lr.f64bits"), List.copyOf(sgd.stateDict().names()));
    }

    @Test
    void loadingReportsEveryMismatchAtOnceAndChangesNothing() {
        Map<String, Tensor> ps = params();
        Adam opt = new Adam(ps, Adam.Options.defaults());
        gradsForStep(ps, 1);
        opt.step();
        StateDict good = opt.stateDict();
        StateDict bad = new StateDict();
        good.arrays().forEach((name, a) -> {
            if (name.equals("enc.weight.exp_avg")) {
                bad.put(name, NDArrays.zeros(4, 3));                           // wrong shape
            } else if (name.equals("enc.bias.exp_avg")) {
                bad.put(name, NDArrays.zeros(DType.INT32, 4));                 // wrong dtype
            } else if (!name.equals("head.weight.exp_avg_sq")) {               // partial state
                bad.put(name, a);
            }
        });
        good.longs().forEach((name, v) -> {
            if (!name.equals("step") && !name.equals("head.weight.step")) {    // missing; see below
                bad.putLong(name, v);
            }
        });
        bad.put("decoder.weight.exp_avg", NDArrays.zeros(2));                  // unknown parameter
        bad.put("enc.bias.step_size", NDArrays.zeros(1));                      // unknown key
        bad.put("head.weight.step", NDArrays.zeros(1));                        // should be int64
        StateDict before = opt.stateDict();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(bad));
        String msg = e.getMessage();
        for (String part : List.of("'enc.weight.exp_avg' is float32 [4, 3], expected float32 [3, 4]",
                "'enc.bias.exp_avg' is int32 [4], expected float32 [4]", "missing entry 'step'",
                "unexpected entry 'decoder.weight.exp_avg' (no parameter named 'decoder.weight')",
                "unexpected entry 'enc.bias.step_size' (Adam keeps per-parameter [exp_avg, exp_avg_sq, step])",
                "'head.weight.step' is an array, expected an int64 scalar",
                "parameter 'head.weight' has part of its state; missing [head.weight.exp_avg_sq, head.weight.step]",
                "7 mismatches")) {
            assertTrue(msg.contains(part), "message should contain \"" + part + "\":\n" + msg);
        }
        // Nothing changed.
        StateDict after = opt.stateDict();
        before.arrays().forEach((name, a) -> Compare.assertIdentical(name, a, after.array(name)));
        assertEquals(before.longs(), after.longs());
    }

    @Test
    void anSgdStateDoesNotLoadIntoAdam() {
        Map<String, Tensor> ps = params();
        SGD sgd = new SGD(ps, SGD.Options.defaults().withMomentum(0.9));
        gradsForStep(ps, 1);
        sgd.step();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Adam(ps, Adam.Options.defaults()).loadStateDict(sgd.stateDict()));
        assertTrue(e.getMessage().contains("3 mismatches"), e.getMessage());
        assertTrue(e.getMessage().contains("unexpected entry 'enc.weight.momentum_buffer'"), e.getMessage());
    }

    @Test
    void loadingAStateWithoutSomeParametersClearsTheirs() {
        Map<String, Tensor> ps = params();
        Adam opt = new Adam(ps, Adam.Options.defaults());
        StateDict empty = opt.stateDict();                // before any step: no per-parameter state
        assertEquals(List.of("step", "lr.f64bits"), List.copyOf(empty.names()));
        gradsForStep(ps, 1);
        opt.step();
        opt.loadStateDict(empty);
        assertEquals(List.of("step", "lr.f64bits"), List.copyOf(opt.stateDict().names()));
        opt.step();                                        // a first step again, reusing the buffers
        assertEquals(1L, opt.stateDict().longValue("enc.weight.step"));
    }

    /**
     * State lives in the parameters' scope, and after the first step a step allocates no native
     * memory at all (the step scope stays empty, the pool's use does not change).
     */
    @Test
    void stateLivesBesideTheParametersAndSteadyStepsAllocateNothing() {
        try (MemoryPool pool = new MemoryPool("optim-test")) {
            MemoryScope paramScope = MemoryScope.longLived("params", pool);
            Map<String, Tensor> ps;
            try (MemoryScope.Activation ignored = paramScope.activate()) {
                ps = params();
            }
            long paramBytes = paramScope.ownedBytes();
            gradsForStep(ps, 1);                           // grads beside the parameters
            long withGrads = paramScope.ownedBytes();
            Adam opt = new Adam(ps, Adam.Options.defaults());
            opt.step();
            assertEquals(withGrads + 2 * (withGrads - paramBytes), paramScope.ownedBytes(),
                    "two moments per parameter, in the parameters' scope");
            for (int i = 0; i < ps.size(); i++) {
                assertSame(paramScope, opt.state(i).buffer(0).allocation().owner());
                assertSame(paramScope, opt.state(i).buffer(1).allocation().owner());
            }
            long owned = paramScope.ownedBytes();
            long inUse = pool.inUseBytes();
            for (int t = 2; t <= 4; t++) {
                try (MemoryScope step = MemoryScope.open("step", pool)) {
                    opt.step();
                    assertEquals(0, step.ownedBytes(), "step " + t + " allocated in the step scope");
                }
                assertEquals(owned, paramScope.ownedBytes(), "step " + t + " grew the parameters' scope");
                assertEquals(inUse, pool.inUseBytes(), "step " + t + " used more pool memory");
            }
            paramScope.close();
        }
    }

    @Test
    void aNonContiguousParameterIsRejectedWithItsName() {
        NDArray t = NDArrays.zeros(4, 3).transpose(0, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SGD(named("enc.weight", Tensor.parameter(t)), SGD.Options.defaults()));
        assertTrue(e.getMessage().contains("parameter 'enc.weight' is not contiguous"), e.getMessage());
    }
}
