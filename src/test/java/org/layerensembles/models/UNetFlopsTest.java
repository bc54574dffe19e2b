package org.layerensembles.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.GradMode;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.nn.layers.Conv2d;
import org.layerensembles.autograd.nn.layers.ConvTranspose2d;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.models.UNetConfig.Upsampling;

/** The FLOP counter: the headline figure, a hand count, and a count taken from a real forward pass. */
class UNetFlopsTest {

    @Test
    void unetSmallAtBatch8And128IsAbout13point9GFlop() {
        long flops = UNet.forwardFlops(UNetConfig.unetSmall(2), 8, 128, 128);
        // Hand count, MACs per image (pixels x Cin x Cout x 9 per 3x3 conv):
        //   enc1 16384*(9*1*16 + 9*16*16) = 40,108,032
        //   enc2..enc4, bottleneck: each 56,623,104 (the width doubles as the area quarters)
        //   dec1..dec4: each 150,994,944;  final 16384*16*2 = 524,288
        //   sum 871,104,512 MACs; x 2 FLOP x 8 images = 13,937,672,192 FLOP.
        long macsPerImage = 40_108_032L + 4 * 56_623_104L + 4 * 150_994_944L + 524_288L;
        assertEquals(2 * 8 * macsPerImage, flops);
        assertEquals(13_937_672_192L, flops);
        // "about 13.9 GFLOP": within 0.5% (it is 0.27% above)
        assertTrue(Math.abs(flops - 13.9e9) / 13.9e9 < 0.005, "FLOPs " + flops);
        // transposed up-convolutions add C*C*4 x (input pixels) MACs each: 256^2*4*8^2 = 16,777,216, and the
        // same for 128 at 16x16, 64 at 32x32, 32 at 64x64
        long transposed = UNet.forwardFlops(UNetConfig.unetSmall(2).withUpsampling(Upsampling.TRANSPOSED), 8, 128, 128);
        assertEquals(flops + 2L * 8 * 4 * 16_777_216L, transposed);
        // linear in the batch and the area
        assertEquals(flops / 8, UNet.forwardFlops(UNetConfig.unetSmall(2), 1, 128, 128));
        assertEquals(flops / 32, UNet.forwardFlops(UNetConfig.unetSmall(2), 1, 64, 64));
    }

    @Test
    void perLayerCountsMatchAForwardPass() {
        for (Upsampling mode : Upsampling.values()) {
            UNetConfig config = UNetConfig.unetSmall(3).withUpsampling(mode);
            UNet net = new UNet(config);
            Map<String, Long> measured = new LinkedHashMap<>();
            for (Map.Entry<String, Module> e : net.namedModules().entrySet()) {
                String path = e.getKey();
                if (e.getValue() instanceof Conv2d conv) {
                    conv.registerForwardHook((m, in, out) -> {
                        int[] w = conv.weight().shape(); // [Cout, Cin, KH, KW]
                        measured.put(path, 2L * out.numel() * w[1] * w[2] * w[3]);
                    });
                } else if (e.getValue() instanceof ConvTranspose2d up) {
                    up.registerForwardHook((m, in, out) -> {
                        int[] w = up.weight().shape(); // [Cin, Cout, KH, KW]
                        measured.put(path, 2L * in.numel() * w[1] * w[2] * w[3]);
                    });
                }
            }
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                net.eval().forward(Tensor.constant(NDArrays.randomNormal(new SeededRandom(1), 0, 1, 2, 1, 32, 48)));
            }
            assertEquals(measured, UNet.convFlops(config, 2, 32, 48), mode.toString());
            assertEquals(measured.keySet().stream().toList(), UNet.convFlops(config, 2, 32, 48).keySet().stream()
                    .toList(), mode + ": forward order");
        }
    }

    @Test
    void rejectsSizesTheNetworkRejects() {
        assertThrows(IllegalArgumentException.class, () -> UNet.forwardFlops(UNetConfig.unetSmall(2), 8, 120, 128));
        assertThrows(IllegalArgumentException.class, () -> UNet.forwardFlops(UNetConfig.unetSmall(2), 0, 128, 128));
    }
}
