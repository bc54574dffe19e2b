package org.layerensembles.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.GradMode;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.loss.Losses;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.models.UNetConfig.Upsampling;

/** Forward passes on small inputs: shapes, taps, features, input checks, seeding, gradients. */
class UNetForwardTest {

    private static Tensor images(long seed, int... shape) {
        return Tensor.constant(NDArrays.randomNormal(new SeededRandom(seed), 0, 1, shape));
    }

    private static Tensor labels(long seed, int classes, int n, int h, int w) {
        SeededRandom rng = new SeededRandom(seed);
        long first = rng.reserve((long) n * h * w);
        int[] t = new int[n * h * w];
        for (int i = 0; i < t.length; i++) {
            t[i] = (int) (SeededRandom.uniform(rng.seed(), first + i) * classes);
        }
        return Tensor.constant(NDArrays.of(t, n, h, w));
    }

    @Test
    void outputShapesForBinaryMultiClassAndBothUpsamplings() {
        for (Upsampling mode : Upsampling.values()) {
            for (int classes : new int[] {2, 4}) {
                UNet net = new UNet(UNetConfig.unetSmall(classes).withUpsampling(mode));
                Tensor out = net.forward(images(1, 2, 1, 32, 32));
                assertArrayEquals(new int[] {2, classes, 32, 32}, out.shape(), mode + ", " + classes + " classes");
                assertAllFinite(out.data(), mode + ", " + classes + " classes");
            }
        }
        // not square
        UNet net = new UNet(UNetConfig.unetSmall(3));
        assertArrayEquals(new int[] {1, 3, 16, 48}, net.eval().forward(images(2, 1, 1, 16, 48)).shape());
    }

    @Test
    void otherConfigsWork() {
        UNetConfig rgb = new UNetConfig(3, 5, List.of(4, 8), 12, Upsampling.TRANSPOSED, 9);
        UNet net = new UNet(rgb);
        assertEquals(List.of("enc1", "enc2", "bottleneck", "dec1", "dec2"), net.layerEnsembleTaps());
        assertEquals(12 + 8, rgb.decoderInput(1)); // dec1: bottleneck 12 up-sampled + enc2's 8
        assertEquals(8 + 4, rgb.decoderInput(2)); // dec2: dec1's 8 up-sampled + enc1's 4
        assertArrayEquals(new int[] {2, 5, 12, 20}, net.forward(images(3, 2, 3, 12, 20)).shape());
        UNet shallow = new UNet(new UNetConfig(1, 2, List.of(4), 6, Upsampling.BILINEAR, 0));
        assertArrayEquals(new int[] {2, 2, 6, 2}, shallow.forward(images(4, 2, 1, 6, 2)).shape());
    }

    @Test
    void tapHooksFireShallowToDeepWithTheExpectedShapes() {
        UNet net = new UNet(UNetConfig.unetSmall(2));
        Map<String, int[]> seen = new LinkedHashMap<>();
        for (String tap : net.layerEnsembleTaps()) {
            net.registerForwardHook(tap, (m, in, out) -> seen.put(tap, out.shape()));
        }
        net.forward(images(5, 2, 1, 32, 32));
        assertEquals(net.layerEnsembleTaps(), new ArrayList<>(seen.keySet()));
        int[][] expected = {
            {2, 16, 32, 32}, {2, 32, 16, 16}, {2, 64, 8, 8}, {2, 128, 4, 4}, {2, 256, 2, 2},
            {2, 128, 4, 4}, {2, 64, 8, 8}, {2, 32, 16, 16}, {2, 16, 32, 32}};
        int i = 0;
        for (Map.Entry<String, int[]> e : seen.entrySet()) {
            assertArrayEquals(expected[i], e.getValue(), e.getKey());
            assertEquals(net.tapChannels().get(e.getKey()), e.getValue()[1], e.getKey());
            i++;
        }
    }

    @Test
    void featuresAreTheLastDecoderBlocksOutputAndFinalMakesTheLogits() {
        UNet net = new UNet(UNetConfig.unetSmall(3));
        net.eval();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor x = images(6, 2, 1, 32, 32);
            List<Tensor> dec4 = new ArrayList<>();
            net.registerForwardHook("dec4", (m, in, out) -> dec4.add(out));
            Tensor features = net.features(x);
            assertArrayEquals(new int[] {2, 16, 32, 32}, features.shape());
            assertArrayEquals(dec4.get(0).data().toFloatArray(), features.data().toFloatArray());
            Tensor logits = net.forward(x);
            assertArrayEquals(logits.data().toFloatArray(),
                    net.finalLayer().forward(features).data().toFloatArray());
        }
    }

    @Test
    void rejectsBadInputShapesWithClearMessages() {
        UNet net = new UNet(UNetConfig.unetSmall(2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.forward(images(7, 2, 1, 30, 32)));
        assertTrue(e.getMessage().contains("[2, 1, 30, 32]") && e.getMessage().contains("multiples of 16"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> net.forward(images(7, 2, 1, 32, 40)));
        assertTrue(e.getMessage().contains("[2, 1, 32, 40]") && e.getMessage().contains("16"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> net.features(images(7, 2, 1, 8, 8)));
        assertTrue(e.getMessage().contains("[2, 1, 8, 8]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> net.forward(images(7, 2, 3, 32, 32)));
        assertTrue(e.getMessage().contains("[N, 1, H, W]") && e.getMessage().contains("[2, 3, 32, 32]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> net.forward(images(7, 1, 32, 32)));
        assertTrue(e.getMessage().contains("[1, 32, 32]"), e.getMessage());
        UNet depth2 = new UNet(new UNetConfig(1, 2, List.of(4, 8), 8, Upsampling.BILINEAR, 0));
        e = assertThrows(IllegalArgumentException.class, () -> depth2.forward(images(7, 2, 1, 8, 6)));
        assertTrue(e.getMessage().contains("multiples of 4"), e.getMessage());
    }

    @Test
    void sameSeedSameWeightsAndOutputsOtherSeedOthers() {
        for (Upsampling mode : Upsampling.values()) {
            UNetConfig c = UNetConfig.unetSmall(2).withUpsampling(mode).withSeed(42);
            UNet a = new UNet(c);
            UNet b = new UNet(c);
            UNet other = new UNet(c.withSeed(43));
            Map<String, Tensor> pa = a.namedParameters();
            Map<String, Tensor> pb = b.namedParameters();
            Map<String, Tensor> po = other.namedParameters();
            for (String name : pa.keySet()) {
                assertArrayEquals(pa.get(name).data().toFloatArray(), pb.get(name).data().toFloatArray(), name);
                if (name.endsWith("conv1.weight") || name.endsWith("conv2.weight") || name.startsWith("final")
                        || name.startsWith("up")) {
                    assertFalse(Arrays.equals(pa.get(name).data().toFloatArray(), po.get(name).data().toFloatArray()),
                            name + " is the same under another seed");
                }
            }
            Tensor x = images(8, 2, 1, 32, 32);
            float[] ya = a.forward(x).data().toFloatArray();
            assertArrayEquals(ya, b.forward(x).data().toFloatArray(), mode.toString());
            assertFalse(Arrays.equals(ya, other.forward(x).data().toFloatArray()), mode.toString());
        }
        // layers draw from streams named by their path: the encoder does not depend on the decoder's kind
        Map<String, Tensor> bilinear = new UNet(UNetConfig.unetSmall(2).withSeed(5)).namedParameters();
        Map<String, Tensor> transposed = new UNet(UNetConfig.unetSmall(2).withSeed(5)
                .withUpsampling(Upsampling.TRANSPOSED)).namedParameters();
        for (String name : bilinear.keySet()) {
            assertArrayEquals(bilinear.get(name).data().toFloatArray(), transposed.get(name).data().toFloatArray(),
                    name);
        }
        // and two blocks of equal shape get different weights
        assertFalse(Arrays.equals(bilinear.get("enc2.conv2.weight").data().toFloatArray(),
                bilinear.get("dec3.conv2.weight").data().toFloatArray()));
    }

    @Test
    void aGradientReachesEveryParameter() {
        for (Upsampling mode : Upsampling.values()) {
            UNet net = new UNet(UNetConfig.unetSmall(3).withUpsampling(mode).withSeed(1));
            Tensor loss = Losses.crossEntropy(net.forward(images(9, 2, 1, 16, 16)), labels(10, 3, 2, 16, 16));
            loss.backward();
            List<String> missing = new ArrayList<>();
            for (Map.Entry<String, Tensor> e : net.namedParameters().entrySet()) {
                NDArray g = e.getValue().grad();
                if (g == null) {
                    missing.add(e.getKey() + " (null)");
                    continue;
                }
                assertArrayEquals(e.getValue().shape(), g.shape(), e.getKey());
                boolean nonZero = false;
                for (float v : g.toFloatArray()) {
                    assertTrue(Float.isFinite(v), e.getKey() + " has a non-finite gradient");
                    nonZero |= v != 0;
                }
                if (!nonZero) {
                    missing.add(e.getKey() + " (all zero)");
                }
            }
            assertTrue(missing.isEmpty(), mode + ": no gradient for " + missing);
            assertNotNull(net.finalLayer().bias().grad());
        }
    }

    private static void assertAllFinite(NDArray a, String what) {
        for (float v : a.toFloatArray()) {
            assertTrue(Float.isFinite(v), what + ": non-finite output");
        }
    }
}
