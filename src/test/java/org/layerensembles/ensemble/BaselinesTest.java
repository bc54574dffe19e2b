package org.layerensembles.ensemble;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layerensembles.ensemble.LayerEnsembleTest.images;
import static org.layerensembles.ensemble.LayerEnsembleTest.labels;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.GradMode;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.loss.Losses;
import org.layerensembles.autograd.nn.Sequential;
import org.layerensembles.autograd.ops.ElementwiseOps;
import org.layerensembles.core.SeededRandom;

/** Plain, multi-head (MH) and deep-ensemble (DE) models. */
class BaselinesTest {
    private static final int[] SIZING = {1, 2, 8, 8};

    // ---- Plain

    @Test
    void plainIsTheNetworkWithOneHead() {
        Sequential net = TestNets.convNet(2, 4, new SeededRandom(1));
        Plain plain = new Plain(net, 4);
        net.eval();
        Tensor x = images(3, 2, 2, 8, 8);
        HeadOutputs out = plain.heads(x);
        assertEquals(List.of("final"), out.layerNames());
        assertArrayEquals(new int[] {2, 4, 8, 8}, out.shape());
        assertArrayEquals(net.forward(x).data().toFloatArray(), out.logits(0).data().toFloatArray());
        assertTrue(plain.module() == net);
        assertEquals("Plain", plain.method());
        assertEquals(4, plain.classes());
        assertEquals(List.of("out"), new Plain(net, 4, "out").heads(x).layerNames());
    }

    @Test
    void plainChecksTheNetworksOutput() {
        Sequential net = TestNets.convNet(2, 3, new SeededRandom(1));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Plain(net, 2).heads(images(3, 1, 2, 8, 8)));
        assertTrue(e.getMessage().contains("[1, 2, 8, 8]") && e.getMessage().contains("got [1, 3, 8, 8]"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Plain(net, 1));
        assertThrows(IllegalArgumentException.class, () -> new Plain(net, 3).heads(images(3, 2, 8, 8)));
    }

    // ---- MH

    @Test
    void multiHeadPutsDistinctHeadsOnOneLayer() {
        Sequential net = TestNets.convNet(2, 3, new SeededRandom(1));
        MultiHead mh = new MultiHead(net, "block.relu", 3, SIZING, new SeededRandom(2));
        assertEquals(MultiHead.DEFAULT_HEADS, mh.headModules().size());
        assertEquals("MH", mh.method());
        assertEquals("block.relu", mh.layer());
        HeadOutputs out = mh.heads(images(3, 2, 2, 8, 8));
        assertEquals(List.of("block.relu#0", "block.relu#1", "block.relu#2", "block.relu#3", "block.relu#4"),
                out.layerNames());
        assertArrayEquals(new int[] {2, 3, 8, 8}, out.shape(), "heads on a 4x4 layer are upsampled to 8x8");
        for (int i = 0; i < 5; i++) {
            float[] wi = mh.headModules().get(i).conv().weight().data().toFloatArray();
            assertArrayEquals(new int[] {3, 6, 3, 3}, mh.headModules().get(i).conv().weight().shape());
            for (int j = i + 1; j < 5; j++) {
                assertFalse(Arrays.equals(wi, mh.headModules().get(j).conv().weight().data().toFloatArray()),
                        "heads " + i + " and " + j + " start equal");
                assertFalse(Arrays.equals(out.logits(i).data().toFloatArray(), out.logits(j).data().toFloatArray()));
            }
        }
        Map<String, Tensor> params = mh.module().namedParameters();
        assertTrue(params.containsKey("heads.4.conv.bias") && params.containsKey("backbone.block.conv.weight"));
        assertEquals(net.namedParameters().size() + 10, params.size());
    }

    @Test
    void multiHeadLossesReachEveryHeadAndTheBackbone() {
        Sequential net = TestNets.convNet(2, 2, new SeededRandom(1));
        MultiHead mh = new MultiHead(net, "block.relu", 2, SIZING, 3, new SeededRandom(2));
        HeadOutputs out = mh.heads(images(3, 2, 2, 8, 8));
        Tensor target = labels(4, 2, 2, 8, 8);
        Tensor loss = Losses.crossEntropy(out.logits(0), target);
        for (int i = 1; i < out.size(); i++) {
            loss = ElementwiseOps.add(loss, Losses.crossEntropy(out.logits(i), target));
        }
        loss.backward();
        Map<String, Tensor> params = mh.module().namedParameters();
        for (String n : List.of("heads.0.conv.weight", "heads.1.conv.weight", "heads.2.conv.bias",
                "backbone.stem.conv.weight", "backbone.block.conv.weight")) {
            assertNotNull(params.get(n).grad(), n);
        }
        assertNull(params.get("backbone.final.weight").grad());
    }

    @Test
    void multiHeadBadArguments() {
        Sequential net = TestNets.convNet(2, 2, new SeededRandom(1));
        assertThrows(IllegalArgumentException.class, () -> new MultiHead(net, "block.relu", 2, SIZING, 0,
                new SeededRandom(2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MultiHead(net, "block.rel", 2, SIZING, new SeededRandom(2)));
        assertTrue(e.getMessage().contains("MultiHead: no layer 'block.rel'"), e.getMessage());
        assertThrows(NullPointerException.class, () -> new MultiHead(net, null, 2, SIZING, new SeededRandom(2)));
    }

    // ---- DE

    private static DeepEnsemble plainEnsemble(int members, long seed) {
        return new DeepEnsemble(r -> new Plain(TestNets.convNet(2, 2, r), 2), members, new SeededRandom(seed));
    }

    @Test
    void deepEnsembleHasOneHeadPerIndependentMember() {
        DeepEnsemble de = plainEnsemble(3, 7);
        assertEquals("DE", de.method());
        assertEquals(3, de.members().size());
        de.module().eval();
        Tensor x = images(3, 2, 2, 8, 8);
        HeadOutputs out;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            out = de.heads(x);
        }
        assertEquals(List.of("member0", "member1", "member2"), out.layerNames());
        assertArrayEquals(new int[] {2, 2, 8, 8}, out.shape());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(de.members().get(i).heads(x).logits(0).data().toFloatArray(),
                    out.logits(i).data().toFloatArray());
        }
        Map<String, Tensor> params = de.module().namedParameters();
        assertTrue(params.containsKey("member0.stem.conv.weight") && params.containsKey("member2.final.bias"));
        float[] w0 = params.get("member0.stem.conv.weight").data().toFloatArray();
        assertFalse(Arrays.equals(w0, params.get("member1.stem.conv.weight").data().toFloatArray()));
        assertFalse(Arrays.equals(w0, params.get("member2.stem.conv.weight").data().toFloatArray()));
        // Reproducible: the same seed builds the same members.
        assertArrayEquals(w0, plainEnsemble(3, 7).module().namedParameters().get("member0.stem.conv.weight").data()
                .toFloatArray());
        assertEquals(DeepEnsemble.DEFAULT_MEMBERS, new DeepEnsemble(r -> new Plain(TestNets.convNet(2, 2, r), 2),
                new SeededRandom(1)).size());
    }

    @Test
    void deepEnsembleOfLayerEnsemblesTakesEachMembersDeepestHead() {
        DeepEnsemble de = new DeepEnsemble(r -> new LayerEnsemble(TestNets.convNet(2, 2, r.fork(0)),
                List.of("stem.relu", "block.relu"), 2, SIZING, r.fork(1)), 2, new SeededRandom(3));
        de.module().eval();
        Tensor x = images(3, 1, 2, 8, 8);
        HeadOutputs out = de.heads(x);
        assertEquals(List.of("member0", "member1"), out.layerNames());
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(de.members().get(i).heads(x).logits(1).data().toFloatArray(),
                    out.logits(i).data().toFloatArray());
        }
        assertTrue(de.module().namedParameters().containsKey("member1.heads.1.conv.weight"));
    }

    @Test
    void deepEnsembleRejectsSharedOrMismatchedMembers() {
        Plain one = new Plain(TestNets.convNet(2, 2, new SeededRandom(1)), 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DeepEnsemble(r -> one, 2, new SeededRandom(1)));
        assertTrue(e.getMessage().contains("members must be independent"), e.getMessage());
        Plain three = new Plain(TestNets.convNet(2, 3, new SeededRandom(2)), 3);
        e = assertThrows(IllegalArgumentException.class, () -> new DeepEnsemble(List.of(one, three)));
        assertTrue(e.getMessage().contains("member1 has 3 classes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DeepEnsemble(List.of()));
        assertThrows(IllegalArgumentException.class, () -> plainEnsemble(0, 1));
        assertThrows(NullPointerException.class, () -> new DeepEnsemble(r -> null, 2, new SeededRandom(1)));
    }
}
