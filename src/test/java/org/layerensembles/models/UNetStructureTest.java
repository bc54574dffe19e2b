package org.layerensembles.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.nn.layers.BatchNorm2d;
import org.layerensembles.autograd.nn.layers.Conv2d;
import org.layerensembles.autograd.nn.layers.ConvTranspose2d;
import org.layerensembles.autograd.nn.layers.MaxPool2d;
import org.layerensembles.autograd.nn.layers.ReLU;
import org.layerensembles.autograd.nn.layers.Upsample;
import org.layerensembles.models.UNetConfig.Upsampling;

/** Names, order, widths and parameter counts of the U-Net and its config; no forward passes. */
class UNetStructureTest {
    private static final List<String> DOUBLE_CONV_CHILDREN = List.of("conv1", "bn1", "relu1", "conv2", "bn2", "relu2");

    @Test
    void unetSmallConfigIsExactlyAsSpecified() {
        UNetConfig c = UNetConfig.unetSmall(2);
        assertEquals(1, c.inChannels());
        assertEquals(2, c.classes());
        assertEquals(List.of(16, 32, 64, 128), c.encoderWidths());
        assertEquals(256, c.bottleneckWidth());
        assertEquals(Upsampling.BILINEAR, c.upsampling());
        assertEquals(4, c.depth());
        assertEquals(16, c.sizeMultiple());
        // dec1 = 256 + 128 -> 128, dec2 = 128 + 64 -> 64, dec3 = 64 + 32 -> 32, dec4 = 32 + 16 -> 16
        int[][] dec = {{384, 128}, {192, 64}, {96, 32}, {48, 16}};
        for (int b = 1; b <= 4; b++) {
            assertEquals(dec[b - 1][0], c.decoderInput(b), "dec" + b + " input");
            assertEquals(dec[b - 1][1], c.decoderOutput(b), "dec" + b + " output");
        }
        assertEquals(List.of(16, 32, 64, 128), List.of(c.encoderWidth(1), c.encoderWidth(2), c.encoderWidth(3),
                c.encoderWidth(4)));
        assertEquals(List.of(1, 16, 32, 64), List.of(c.encoderInput(1), c.encoderInput(2), c.encoderInput(3),
                c.encoderInput(4)));
    }

    @Test
    void childrenAreNamedAndOrderedShallowToDeep() {
        UNet net = new UNet(UNetConfig.unetSmall(2));
        assertEquals(List.of("enc1", "pool1", "enc2", "pool2", "enc3", "pool3", "enc4", "pool4", "bottleneck",
                "up1", "dec1", "up2", "dec2", "up3", "dec3", "up4", "dec4", "final"),
                new ArrayList<>(net.children().keySet()));

        // namedModules: the root, then depth first, parents before children, in registration order
        List<String> expected = new ArrayList<>();
        expected.add("");
        for (String child : net.children().keySet()) {
            expected.add(child);
            if (net.get(child) instanceof DoubleConv) {
                DOUBLE_CONV_CHILDREN.forEach(n -> expected.add(child + "." + n));
            }
        }
        assertEquals(expected, new ArrayList<>(net.namedModules().keySet()));

        for (String block : List.of("enc1", "enc2", "enc3", "enc4", "bottleneck", "dec1", "dec2", "dec3", "dec4")) {
            Module m = net.get(block);
            assertInstanceOf(DoubleConv.class, m, block);
            assertEquals(DOUBLE_CONV_CHILDREN, new ArrayList<>(m.children().keySet()), block);
            assertInstanceOf(Conv2d.class, m.get("conv1"));
            assertInstanceOf(BatchNorm2d.class, m.get("bn1"));
            assertInstanceOf(ReLU.class, m.get("relu1"));
            assertInstanceOf(Conv2d.class, m.get("conv2"));
            assertInstanceOf(BatchNorm2d.class, m.get("bn2"));
            assertInstanceOf(ReLU.class, m.get("relu2"));
            assertEquals(null, ((Conv2d) m.get("conv1")).bias(), block + ".conv1 has a bias");
            assertEquals(null, ((Conv2d) m.get("conv2")).bias(), block + ".conv2 has a bias");
        }
        for (int i = 1; i <= 4; i++) {
            assertInstanceOf(MaxPool2d.class, net.get("pool" + i));
            assertInstanceOf(Upsample.class, net.get("up" + i));
        }
        Conv2d fin = assertInstanceOf(Conv2d.class, net.get("final"));
        assertArrayEquals(new int[] {2, 16, 1, 1}, fin.weight().shape());
        assertArrayEquals(new int[] {2}, fin.bias().shape());
        assertEquals(fin, net.finalLayer());
    }

    @Test
    void transposedVariantHasLearnedUpConvolutionsThatKeepTheChannels() {
        UNet net = new UNet(UNetConfig.unetSmall(2).withUpsampling(Upsampling.TRANSPOSED));
        int[] channels = {256, 128, 64, 32};
        for (int b = 1; b <= 4; b++) {
            ConvTranspose2d up = assertInstanceOf(ConvTranspose2d.class, net.get("up" + b));
            int c = channels[b - 1];
            assertArrayEquals(new int[] {c, c, 2, 2}, up.weight().shape(), "up" + b);
            assertArrayEquals(new int[] {c}, up.bias().shape(), "up" + b);
        }
        assertArrayEquals(new int[] {128, 384, 3, 3}, net.namedParameters().get("dec1.conv1.weight").shape());
        assertArrayEquals(new int[] {16, 48, 3, 3}, net.namedParameters().get("dec4.conv1.weight").shape());
    }

    @Test
    void parameterShapesFollowTheWidths() {
        Map<String, Tensor> p = new UNet(UNetConfig.unetSmall(4)).namedParameters();
        assertArrayEquals(new int[] {16, 1, 3, 3}, p.get("enc1.conv1.weight").shape());
        assertArrayEquals(new int[] {16, 16, 3, 3}, p.get("enc1.conv2.weight").shape());
        assertArrayEquals(new int[] {16}, p.get("enc1.bn1.weight").shape());
        assertArrayEquals(new int[] {16}, p.get("enc1.bn1.bias").shape());
        assertArrayEquals(new int[] {256, 128, 3, 3}, p.get("bottleneck.conv1.weight").shape());
        assertArrayEquals(new int[] {128, 384, 3, 3}, p.get("dec1.conv1.weight").shape());
        assertArrayEquals(new int[] {64, 192, 3, 3}, p.get("dec2.conv1.weight").shape());
        assertArrayEquals(new int[] {32, 96, 3, 3}, p.get("dec3.conv1.weight").shape());
        assertArrayEquals(new int[] {16, 48, 3, 3}, p.get("dec4.conv1.weight").shape());
        assertArrayEquals(new int[] {4, 16, 1, 1}, p.get("final.weight").shape());
        assertArrayEquals(new int[] {4}, p.get("final.bias").shape());
        assertFalse(p.containsKey("enc1.conv1.bias"));
        // 9 DoubleConvs x (2 conv weights + 2 x BN weight and bias) + final weight and bias
        assertEquals(9 * 6 + 2, p.size());
        assertEquals("enc1.conv1.weight", p.keySet().iterator().next());
    }

    /** 3x3 conv weights (no bias) twice, plus weight and bias of both batch norms. */
    private static long doubleConv(long in, long out) {
        return 9 * in * out + 9 * out * out + 4 * out;
    }

    @Test
    void unetSmallParameterCountMatchesTheHandFormula() {
        for (int classes : new int[] {2, 4}) {
            long expected = doubleConv(1, 16) + doubleConv(16, 32) + doubleConv(32, 64) + doubleConv(64, 128)
                    + doubleConv(128, 256)
                    + doubleConv(256 + 128, 128) + doubleConv(128 + 64, 64) + doubleConv(64 + 32, 32)
                    + doubleConv(32 + 16, 16)
                    + 16L * classes + classes;
            UNet net = new UNet(UNetConfig.unetSmall(classes));
            assertEquals(expected, net.parameterCount(), "classes " + classes);
            long transposedExtra = 0;
            for (long c : new long[] {256, 128, 64, 32}) {
                transposedExtra += 4 * c * c + c;
            }
            assertEquals(expected + transposedExtra,
                    new UNet(UNetConfig.unetSmall(classes).withUpsampling(Upsampling.TRANSPOSED)).parameterCount());
        }
        assertEquals(1_963_826, new UNet(UNetConfig.unetSmall(2)).parameterCount());
        assertEquals(1_963_826 + 348_640,
                new UNet(UNetConfig.unetSmall(2).withUpsampling(Upsampling.TRANSPOSED)).parameterCount());
        assertEquals(DoubleConv.parameterCount(384, 128), doubleConv(384, 128));
    }

    @Test
    void tapsAndFinalLayerNames() {
        UNet net = new UNet(UNetConfig.unetSmall(2));
        List<String> taps = List.of("enc1", "enc2", "enc3", "enc4", "bottleneck", "dec1", "dec2", "dec3", "dec4");
        assertEquals(taps, net.layerEnsembleTaps());
        assertEquals(taps, UNet.defaultTaps(4));
        assertEquals(taps, new ArrayList<>(net.tapChannels().keySet()));
        assertEquals(List.of(16, 32, 64, 128, 256, 128, 64, 32, 16), new ArrayList<>(net.tapChannels().values()));
        assertEquals("final", net.finalLayerName());
        assertEquals("dec4", net.featureLayerName());
        assertEquals(16, net.featureChannels());
        for (String t : taps) {
            net.get(t); // every tap resolves
        }
        assertEquals(List.of("enc1", "enc2", "bottleneck", "dec1", "dec2"), UNet.defaultTaps(2));
    }

    @Test
    void configRejectsBadValues() {
        List<Integer> w = List.of(8, 16);
        assertThrows(IllegalArgumentException.class, () -> new UNetConfig(0, 2, w, 32, Upsampling.BILINEAR, 0));
        assertThrows(IllegalArgumentException.class, () -> new UNetConfig(1, 0, w, 32, Upsampling.BILINEAR, 0));
        assertThrows(IllegalArgumentException.class, () -> new UNetConfig(1, 2, List.of(), 32, Upsampling.BILINEAR, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new UNetConfig(1, 2, List.of(8, 0), 32, Upsampling.BILINEAR, 0));
        assertThrows(IllegalArgumentException.class, () -> new UNetConfig(1, 2, w, 0, Upsampling.BILINEAR, 0));
        assertThrows(NullPointerException.class, () -> new UNetConfig(1, 2, w, 32, null, 0));
        assertThrows(NullPointerException.class, () -> new UNetConfig(1, 2, null, 32, Upsampling.BILINEAR, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new UNetConfig(1, 2, java.util.Collections.nCopies(13, 4), 32, Upsampling.BILINEAR, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UNetConfig.unetSmall(2).withClasses(0));
        assertTrue(e.getMessage().contains("classes"), e.getMessage());

        // the widths are copied: changing the caller's list later does not change the config
        List<Integer> mine = new ArrayList<>(List.of(8, 16));
        UNetConfig c = new UNetConfig(1, 2, mine, 32, Upsampling.BILINEAR, 0);
        mine.set(0, 99);
        assertEquals(List.of(8, 16), c.encoderWidths());
        assertThrows(IndexOutOfBoundsException.class, () -> c.encoderWidth(3));
        assertThrows(IndexOutOfBoundsException.class, () -> c.decoderInput(0));
    }

    @Test
    void seedStreamsAreStableAndLabelled() {
        // FNV-1a 64 of "" is the offset basis; of "a" a published constant
        assertEquals(0xcbf29ce484222325L, SeedStreams.labelHash(""));
        assertEquals(0xaf63dc4c8601ec8cL, SeedStreams.labelHash("a"));
        var root = new org.layerensembles.core.SeededRandom(3);
        assertEquals(SeedStreams.fork(root, "enc1").seed(), SeedStreams.fork(root, "enc1").seed());
        assertTrue(SeedStreams.fork(root, "enc1").seed() != SeedStreams.fork(root, "enc2").seed());
    }
}
