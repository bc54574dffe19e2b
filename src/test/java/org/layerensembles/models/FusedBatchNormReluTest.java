package org.layerensembles.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.loss.Losses;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.nn.layers.BatchNorm2d;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;

/**
 * DoubleConv runs each BatchNorm2d and its ReLU as one fused op unless a forward hook watches
 * one of them: a unet-small training forward and backward gives the same logits, gradients and
 * running statistics both ways (two identically seeded nets, the second with a no-op hook on
 * every BatchNorm2d, so unfused).
 *
 * <p>Tolerances: the forward outputs are the same bits (fused = relu of unfused, exactly); the
 * backward sums the same terms in another order, so gradients agree to float rounding relative
 * to their size: atol 1e-5 * max|grad| of the tensor, rtol 1e-3.
 */
class FusedBatchNormReluTest {
    @Test
    void unetTrainingStepIsTheSameFusedAndUnfused() {
        UNet fused = new UNet(UNetConfig.unetSmall(2));
        UNet unfused = new UNet(UNetConfig.unetSmall(2));
        int hooked = 0;
        for (Module m : unfused.namedModules().values()) {
            if (m instanceof BatchNorm2d) {
                m.registerForwardHook((module, in, out) -> { });
                hooked++;
            }
        }
        assertEquals(18, hooked, "unet-small has 9 DoubleConv blocks of 2 batch norms");
        Tensor images = Tensor.constant(NDArrays.randomNormal(new SeededRandom(3), 0, 1, 2, 1, 32, 32));
        int[] t = new int[2 * 32 * 32];
        for (int i = 0; i < t.length; i++) {
            t[i] = (i * 7919) % 3 == 0 ? 1 : 0;
        }
        Tensor labels = Tensor.constant(NDArrays.of(t, 2, 32, 32));

        Tensor a = fused.forward(images);
        Tensor b = unfused.forward(images);
        assertArrayEquals(b.data().toFloatArray(), a.data().toFloatArray(), "logits");
        Losses.crossEntropy(a, labels).backward();
        Losses.crossEntropy(b, labels).backward();

        Map<String, Tensor> pa = fused.namedParameters();
        Map<String, Tensor> pb = unfused.namedParameters();
        for (String name : pa.keySet()) {
            float[] expected = pb.get(name).grad().toFloatArray();
            float[] actual = pa.get(name).grad().toFloatArray();
            double scale = 0;
            for (float v : expected) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < expected.length; i++) {
                double diff = Math.abs(expected[i] - actual[i]);
                int at = i;
                assertTrue(diff <= 1e-5 * scale + 1e-3 * Math.abs(expected[i]) + 1e-12,
                        () -> "grad " + name + " [" + at + "]: unfused " + expected[at] + ", fused " + actual[at]);
            }
        }
        Map<String, NDArray> ba = fused.namedBuffers();
        Map<String, NDArray> bb = unfused.namedBuffers();
        for (String name : ba.keySet()) {
            assertArrayEquals(bb.get(name).toFloatArray(), ba.get(name).toFloatArray(), "buffer " + name);
        }
    }
}
