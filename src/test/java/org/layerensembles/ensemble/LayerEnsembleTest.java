package org.layerensembles.ensemble;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.GradMode;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.loss.Losses;
import org.layerensembles.autograd.nn.HookHandle;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.nn.Sequential;
import org.layerensembles.autograd.nn.layers.BatchNorm2d;
import org.layerensembles.autograd.nn.layers.Conv2d;
import org.layerensembles.autograd.nn.layers.ReLU;
import org.layerensembles.autograd.ops.ElementwiseOps;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.memory.MemoryScope;

class LayerEnsembleTest {
    private static final int CLASSES = 3;
    private static final int[] SIZING = {1, 2, 8, 8};

    static Tensor images(long seed, int... shape) {
        return Tensor.constant(NDArrays.randomNormal(new SeededRandom(seed), 0, 1, shape));
    }

    static Tensor labels(long seed, int classes, int n, int h, int w) {
        int[] v = new int[n * h * w];
        SeededRandom rng = new SeededRandom(seed);
        for (int i = 0; i < v.length; i++) {
            v[i] = (int) Math.floor(SeededRandom.uniform(rng.seed(), i) * classes);
        }
        return Tensor.constant(NDArrays.of(v, n, h, w));
    }

    private static LayerEnsemble onConvNet(SeededRandom backboneRng, SeededRandom headRng) {
        return new LayerEnsemble(TestNets.convNet(2, CLASSES, backboneRng), List.of("stem.relu", "block.relu"),
                CLASSES, SIZING, headRng);
    }

    @Test
    void namedTapsGiveOneHeadPerLayerInListOrderAtInputSize() {
        LayerEnsemble le = onConvNet(new SeededRandom(1), new SeededRandom(2));
        assertEquals(List.of("stem.relu", "block.relu"), le.layerNames());
        assertArrayEquals(new int[] {4, 6}, le.tapChannels());
        assertArrayEquals(new int[] {1, 4, 8, 8}, le.tapShapes().get(0));
        assertArrayEquals(new int[] {1, 6, 4, 4}, le.tapShapes().get(1));
        assertArrayEquals(new int[] {CLASSES, 4, 3, 3}, le.headModules().get(0).conv().weight().shape());
        assertArrayEquals(new int[] {CLASSES, 6, 3, 3}, le.headModules().get(1).conv().weight().shape());
        assertNotNull(le.headModules().get(1).conv().bias(), "heads have a bias");
        assertEquals("LE", le.method());
        assertEquals(CLASSES, le.classes());

        HeadOutputs out = le.heads(images(3, 2, 2, 8, 8));
        assertEquals(2, out.size());
        assertEquals(List.of("stem.relu", "block.relu"), out.layerNames());
        assertArrayEquals(new int[] {2, CLASSES, 8, 8}, out.shape());
        // The backbone's own output (the "final" conv) is not a head.
        assertFalse(out.layerNames().contains("final"));
    }

    @Test
    void predicateTapsFollowNamedModulesOrder() {
        LayerEnsemble le = new LayerEnsemble(TestNets.convNet(2, CLASSES, new SeededRandom(1)),
                LayerEnsemble.pathEndsWith(".relu"), CLASSES, SIZING, new SeededRandom(2));
        assertEquals(List.of("stem.relu", "block.relu"), le.layerNames());

        // Branchy registers "right" before "left": a predicate follows registration order ...
        TestNets.Branchy b = new TestNets.Branchy(1, 2, new SeededRandom(4));
        LayerEnsemble byPredicate = new LayerEnsemble(b, p -> p.equals("left") || p.endsWith("conv"), 2,
                new int[] {1, 1, 8, 8}, new SeededRandom(5));
        assertEquals(List.of("right.conv", "left"), byPredicate.layerNames());
        assertArrayEquals(new int[] {3, 5}, byPredicate.tapChannels());
        // ... a list gives its own order (here the order the layers run in).
        LayerEnsemble byList = new LayerEnsemble(b, List.of("trunk.1", "left", "right.conv"), 2,
                new int[] {1, 1, 8, 8}, new SeededRandom(5));
        assertEquals(List.of("trunk.1", "left", "right.conv"), byList.layerNames());
        assertArrayEquals(new int[] {4, 5, 3}, byList.tapChannels());
        assertArrayEquals(new int[] {1, 3, 4, 4}, byList.tapShapes().get(2));
        HeadOutputs out = byList.heads(images(6, 3, 1, 8, 8));
        assertEquals(List.of("trunk.1", "left", "right.conv"), out.layerNames());
        assertArrayEquals(new int[] {3, 2, 8, 8}, out.shape());
    }

    @Test
    void headsResampleSmallerTapsBilinearAlignCornersAndLeaveFullSizeOnesAlone() {
        Sequential net = TestNets.convNet(2, CLASSES, new SeededRandom(1));
        LayerEnsemble le = new LayerEnsemble(net, List.of("stem.relu", "block.relu"), CLASSES, SIZING,
                new SeededRandom(2));
        Tensor[] stem = new Tensor[1];
        Tensor[] block = new Tensor[1];
        try (HookHandle a = net.registerForwardHook("stem.relu", (m, in, o) -> stem[0] = o);
             HookHandle d = net.registerForwardHook("block.relu", (m, in, o) -> block[0] = o)) {
            HeadOutputs out = le.heads(images(3, 2, 2, 8, 8));
            // Full-size tap: the conv's logits as they are.
            assertArrayEquals(le.headModules().get(0).forward(stem[0]).data().toFloatArray(),
                    out.logits(0).data().toFloatArray());
            // Half-size tap: conv at 4x4, then bilinear align_corners to 8x8, checked by hand in double.
            NDArray low = le.headModules().get(1).forward(block[0]).data();
            assertArrayEquals(new int[] {2, CLASSES, 4, 4}, low.shape());
            NDArray up = out.logits(1).data();
            double worst = 0;
            for (int n = 0; n < 2; n++) {
                for (int c = 0; c < CLASSES; c++) {
                    for (int y = 0; y < 8; y++) {
                        for (int x = 0; x < 8; x++) {
                            double sy = y * 3.0 / 7.0;
                            double sx = x * 3.0 / 7.0;
                            int y0 = (int) Math.floor(sy);
                            int x0 = (int) Math.floor(sx);
                            int y1 = Math.min(y0 + 1, 3);
                            int x1 = Math.min(x0 + 1, 3);
                            double ty = sy - y0;
                            double tx = sx - x0;
                            double e = (1 - ty) * ((1 - tx) * low.getFloat(n, c, y0, x0) + tx * low.getFloat(n, c, y0, x1))
                                    + ty * ((1 - tx) * low.getFloat(n, c, y1, x0) + tx * low.getFloat(n, c, y1, x1));
                            worst = Math.max(worst, Math.abs(e - up.getFloat(n, c, y, x)));
                        }
                    }
                    // align_corners: the corners are the low-resolution corners exactly.
                    assertEquals(low.getFloat(n, c, 0, 0), up.getFloat(n, c, 0, 0));
                    assertEquals(low.getFloat(n, c, 3, 3), up.getFloat(n, c, 7, 7));
                }
            }
            assertTrue(worst < 1e-5, "bilinear mismatch " + worst);
        }
    }

    @Test
    void headsFollowTheSizeOfTheImagesGiven() {
        LayerEnsemble le = onConvNet(new SeededRandom(1), new SeededRandom(2));
        assertArrayEquals(new int[] {1, CLASSES, 12, 16}, le.heads(images(3, 1, 2, 12, 16)).shape());
    }

    @Test
    void sumOfHeadLossesTrainsHeadsAndBackboneButNotTheUnusedFinalLayer() {
        Sequential net = TestNets.convNet(2, CLASSES, new SeededRandom(1));
        LayerEnsemble le = new LayerEnsemble(net, List.of("stem.relu", "block.relu"), CLASSES, SIZING,
                new SeededRandom(2));
        HeadOutputs out = le.heads(images(3, 2, 2, 8, 8));
        Tensor target = labels(4, CLASSES, 2, 8, 8);
        Tensor loss = null;
        for (HeadOutput h : out) {
            Tensor l = Losses.crossEntropy(h.logits(), target);
            loss = loss == null ? l : ElementwiseOps.add(loss, l);
        }
        loss.backward();
        Map<String, Tensor> params = le.module().namedParameters();
        for (String name : List.of("heads.0.conv.weight", "heads.0.conv.bias", "heads.1.conv.weight",
                "heads.1.conv.bias", "backbone.stem.conv.weight", "backbone.stem.bn.weight",
                "backbone.block.conv.weight", "backbone.block.bn.bias")) {
            NDArray g = params.get(name).grad();
            assertNotNull(g, name + " got no gradient");
            double norm = 0;
            for (float v : g.toFloatArray()) {
                norm += v * v;
            }
            assertTrue(norm > 0, name + " has a zero gradient");
        }
        assertNull(params.get("backbone.final.weight").grad(), "the backbone's own output layer is not a head");
        assertNull(params.get("backbone.final.bias").grad());
    }

    @Test
    void moduleTreeHoldsBackboneAndHeads() {
        Sequential net = TestNets.convNet(2, CLASSES, new SeededRandom(1));
        LayerEnsemble le = new LayerEnsemble(net, List.of("stem.relu", "block.relu"), CLASSES, SIZING,
                new SeededRandom(2));
        Module root = le.module();
        assertTrue(root.children().get("backbone") == net);
        assertEquals(net.namedParameters().size() + 4, root.namedParameters().size());
        var names = root.stateDict().names();
        for (String n : List.of("backbone.stem.conv.weight", "backbone.stem.bn.running_mean",
                "backbone.final.bias", "heads.0.conv.weight", "heads.1.conv.bias")) {
            assertTrue(names.contains(n), n + " missing from " + names);
        }
        assertTrue(root.get("heads.1") == le.headModules().get(1));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> root.forward(images(3, 1, 2, 8, 8)));
        assertTrue(e.getMessage().contains("heads(images)"), e.getMessage());
        root.eval();
        assertFalse(net.get("stem.bn").isTraining());
        assertFalse(le.headModules().get(0).isTraining());
    }

    @Test
    void sizingPassLeavesBatchNormStatisticsAndModesAlone() {
        Sequential net = TestNets.convNet(2, CLASSES, new SeededRandom(1));
        net.get("block").eval();
        float[] meanBefore = ((BatchNorm2d) net.get("stem.bn")).runningMean().toFloatArray();
        new LayerEnsemble(net, List.of("stem.relu", "block.relu"), CLASSES, SIZING, new SeededRandom(2));
        BatchNorm2d bn = (BatchNorm2d) net.get("stem.bn");
        assertArrayEquals(meanBefore, bn.runningMean().toFloatArray());
        assertEquals(0, bn.numBatchesTracked());
        assertTrue(net.isTraining() && net.get("stem").isTraining() && bn.isTraining());
        assertFalse(net.get("block").isTraining() || net.get("block.bn").isTraining());
    }

    @Test
    void headParametersLiveInTheScopeCurrentAtConstruction() {
        Sequential net = TestNets.convNet(2, CLASSES, new SeededRandom(1));
        MemoryScope longLived = MemoryScope.longLived("model");
        LayerEnsemble le;
        try (MemoryScope.Activation ignored = longLived.activate()) {
            le = new LayerEnsemble(net, List.of("stem.relu", "block.relu"), CLASSES, SIZING, new SeededRandom(2));
        }
        assertTrue(le.headModules().get(0).conv().weight().data().allocation().owner() == longLived);
        // The sizing pass's temporaries are gone; the model still runs.
        try (MemoryScope step = MemoryScope.open()) {
            assertArrayEquals(new int[] {1, CLASSES, 8, 8}, le.heads(images(3, 1, 2, 8, 8)).shape());
        }
        longLived.close();
    }

    @Test
    void sameSeedsSameHeadsOtherSeedsOtherHeads() {
        LayerEnsemble a = onConvNet(new SeededRandom(1), new SeededRandom(2));
        LayerEnsemble b = onConvNet(new SeededRandom(1), new SeededRandom(2));
        LayerEnsemble c = onConvNet(new SeededRandom(1), new SeededRandom(3));
        for (int j = 0; j < 2; j++) {
            float[] wa = a.headModules().get(j).conv().weight().data().toFloatArray();
            assertArrayEquals(wa, b.headModules().get(j).conv().weight().data().toFloatArray());
            assertFalse(Arrays.equals(wa, c.headModules().get(j).conv().weight().data().toFloatArray()));
        }
    }

    @Test
    void evalModeInferenceFromSeveralThreadsAtOnce() throws Exception {
        LayerEnsemble le = onConvNet(new SeededRandom(1), new SeededRandom(2));
        le.module().eval();
        Tensor x = images(3, 1, 2, 8, 8);
        float[] expected;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            expected = le.heads(x).logits(1).data().toFloatArray();
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                results.add(pool.submit(() -> {
                    boolean same = true;
                    for (int i = 0; i < 20; i++) {
                        try (GradMode.Scope ignored = GradMode.noGrad()) {
                            same &= Arrays.equals(expected, le.heads(x).logits(1).data().toFloatArray());
                        }
                    }
                    return same;
                }));
            }
            for (Future<Boolean> f : results) {
                assertTrue(f.get());
            }
        } finally {
            pool.shutdown();
        }
    }

    // ---- errors

    @Test
    void unknownLayerListsTheKnownOnes() {
        Sequential net = TestNets.convNet(2, CLASSES, new SeededRandom(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LayerEnsemble(net, List.of("stem.relu", "stem.rleu"), CLASSES, SIZING, new SeededRandom(2)));
        assertTrue(e.getMessage().contains("'stem.rleu'") && e.getMessage().contains("block.relu"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new LayerEnsemble(net, LayerEnsemble.pathContains("softmax"), CLASSES, SIZING, new SeededRandom(2)));
        assertTrue(e.getMessage().contains("matches no layer") && e.getMessage().contains("stem.conv"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new LayerEnsemble(net, List.of(""), CLASSES, SIZING, new SeededRandom(2)));
        assertTrue(e.getMessage().contains("backbone itself"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new LayerEnsemble(net, List.of("pool", "pool"), CLASSES, SIZING, new SeededRandom(2)));
        assertTrue(e.getMessage().contains("listed twice"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new LayerEnsemble(net, List.<String>of(), CLASSES, SIZING, new SeededRandom(2)));
    }

    @Test
    void badClassesShapesAndImages() {
        Sequential net = TestNets.convNet(2, CLASSES, new SeededRandom(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LayerEnsemble(net, List.of("stem.relu"), 1, SIZING, new SeededRandom(2)));
        assertTrue(e.getMessage().contains("classes must be >= 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new LayerEnsemble(net, List.of("stem.relu"), 2, new int[] {2, 8, 8}, new SeededRandom(2)));
        assertTrue(e.getMessage().contains("[N, C, H, W]"), e.getMessage());
        // A sizing input the backbone cannot take: the backbone's own error, wrapped.
        e = assertThrows(IllegalArgumentException.class,
                () -> new LayerEnsemble(net, List.of("stem.relu"), 2, new int[] {1, 3, 8, 8}, new SeededRandom(2)));
        assertTrue(e.getMessage().contains("sizing forward pass on [1, 3, 8, 8] failed"), e.getMessage());

        LayerEnsemble le = new LayerEnsemble(net, List.of("stem.relu"), 2, SIZING, new SeededRandom(2));
        e = assertThrows(IllegalArgumentException.class, () -> le.heads(images(3, 1, 3, 8, 8)));
        assertTrue(e.getMessage().contains("[N, 2, H, W]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> le.heads(images(3, 2, 8, 8)));
    }

    @Test
    void tapThatNeverRunsIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LayerEnsemble(new TestNets.Conditional(new SeededRandom(1)), List.of("main", "dead"), 2,
                        new int[] {1, 1, 8, 8}, new SeededRandom(2)));
        assertTrue(e.getMessage().contains("[dead] did not run"), e.getMessage());
        // A tap that ran in the sizing pass but not in a later one.
        LayerEnsemble le = new LayerEnsemble(new TestNets.Conditional(new SeededRandom(1)), List.of("main", "extra"),
                2, new int[] {1, 1, 8, 8}, new SeededRandom(2));
        assertEquals(2, le.heads(images(3, 1, 1, 8, 8)).size());
        IllegalStateException s = assertThrows(IllegalStateException.class, () -> le.heads(images(3, 1, 1, 4, 4)));
        assertTrue(s.getMessage().contains("[extra] did not run"), s.getMessage());
    }

    @Test
    void tapWhoseOutputIsNot4dIsRejected() {
        Sequential net = new Sequential(new Conv2d(1, 2, 3, 1, 1, new SeededRandom(1)), new TestNets.Flatten());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LayerEnsemble(net, List.of("0", "1"), 2, new int[] {1, 1, 4, 4}, new SeededRandom(2)));
        assertTrue(e.getMessage().contains("layer '1' outputs [1, 32]") && e.getMessage().contains("4-D"),
                e.getMessage());
    }

    @Test
    void tapThatRunsTwicePerPassIsRejected() {
        ReLU shared = new ReLU();
        SeededRandom rng = new SeededRandom(1);
        Sequential net = new Sequential().add("conv1", new Conv2d(1, 2, 3, 1, 1, rng)).add("a", shared)
                .add("conv2", new Conv2d(2, 2, 3, 1, 1, rng)).add("b", shared);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LayerEnsemble(net, List.of("a"), 2, new int[] {1, 1, 4, 4}, new SeededRandom(2)));
        assertTrue(e.getMessage().contains("'a' ran more than once") && e.getMessage().contains("[a, b]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new LayerEnsemble(net, List.of("a", "b"), 2, new int[] {1, 1, 4, 4}, new SeededRandom(2)));
        assertTrue(e.getMessage().contains("same module instance"), e.getMessage());
        // The hooks went with the failure (a leftover one would throw again): the backbone runs on its own.
        assertDoesNotThrow(() -> net.forward(images(3, 1, 1, 4, 4)));
    }
}
