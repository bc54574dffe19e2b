package org.layerensembles.autograd.nn.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Sequential;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Resize;
import org.layerensembles.core.backend.UnaryOp;
import org.layerensembles.core.reference.ElementwiseRef;
import org.layerensembles.core.reference.ResampleRef;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.Nd4jInterop;
import org.layerensembles.core.testing.TestData;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * ReLU, Sigmoid, Identity and Upsample: forward against ND4J's transforms (activations), against
 * outputs PyTorch gives for a known input (Upsample, values written here) and against the core
 * twins (ElementwiseRef, ResampleRef); gradients against finite differences of the twins; the
 * dotted state names of a small network as PyTorch's.
 *
 * <p>Tolerances: activations vs ND4J 1e-6 + 1e-6 relative (sigmoid's float32 exp); Upsample vs the
 * PyTorch values 1e-6 (they are exact or 1/3-multiples rounded to float32); gradients 1e-5 +
 * 1e-4 relative (LayerGradCheck's default; ReLU's inputs stay away from 0, where the finite
 * difference would straddle the kink, by a margin far above h = 1e-6).
 */
class SimpleLayersTest {

    @Test
    void reluAndSigmoid() {
        int[] xs = {2, 3, 4, 5};
        NDArray x = TestData.array(1, xs);
        ReLU relu = new ReLU();
        Compare.assertClose("ReLU vs ND4J", Nd4jInterop.doubles(Transforms.relu(Nd4jInterop.nd4j(x), true)),
                relu.forward(Tensor.constant(x)).data(), 0, 0);
        LayerGradCheck.of("ReLU", relu, v -> ElementwiseRef.unary(UnaryOp.RELU, v[0]))
                .run(TestData.nonContiguous(2, xs), true);
        Sigmoid sigmoid = new Sigmoid();
        Compare.assertClose("Sigmoid vs ND4J", Nd4jInterop.doubles(Transforms.sigmoid(Nd4jInterop.nd4j(x), true)),
                sigmoid.forward(Tensor.constant(x)).data(), 1e-6, 1e-6);
        LayerGradCheck.of("Sigmoid", sigmoid, v -> ElementwiseRef.unary(UnaryOp.SIGMOID, v[0]))
                .run(TestData.array(3, xs), true);
    }

    @Test
    void identityPassesTheSameTensor() {
        Identity id = new Identity();
        Tensor x = Tensor.parameter(TestData.array(4, 2, 3));
        assertSame(x, id.forward(x));
        LayerGradCheck.of("Identity", id, v -> v[0]).run(TestData.array(5, 2, 3, 2, 2), true);
        assertTrue(id.namedParameters().isEmpty());
    }

    /** PyTorch's nn.Upsample on [[1, 2], [3, 4]], written out. */
    @Test
    void upsampleGivesPyTorchsNumbers() {
        NDArray x = NDArrays.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
        // nn.Upsample(scale_factor=2, mode='nearest')
        check("nearest x2", Upsample.nearest(2), x, new double[] {
            1, 1, 2, 2,
            1, 1, 2, 2,
            3, 3, 4, 4,
            3, 3, 4, 4});
        // nn.Upsample(size=3, mode='nearest'): src = floor(d * 2/3) = 0, 0, 1
        check("nearest to 3x3", Upsample.toSize(Resize.Mode.NEAREST, 3, 3, false), x, new double[] {
            1, 1, 2,
            1, 1, 2,
            3, 3, 4});
        // nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True): src = d/3
        double t = 1.0 / 3;
        check("bilinear x2 align_corners", Upsample.bilinear(2, true), x, new double[] {
            1, 1 + t, 1 + 2 * t, 2,
            1 + 2 * t, 2, 2 + t, 2 + 2 * t,
            2 + t, 2 + 2 * t, 3, 3 + t,
            3, 3 + t, 3 + 2 * t, 4});
        // nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False): src = max(0, (d + 0.5)/2 - 0.5)
        check("bilinear x2", Upsample.bilinear(2, false), x, new double[] {
            1.0, 1.25, 1.75, 2.0,
            1.5, 1.75, 2.25, 2.5,
            2.5, 2.75, 3.25, 3.5,
            3.0, 3.25, 3.75, 4.0});
    }

    @Test
    void upsampleGradientsMatchFiniteDifferencesOfTheTwin() {
        int[] xs = {2, 2, 3, 4};
        for (Upsample up : List.of(Upsample.nearest(2), Upsample.bilinear(2, true), Upsample.bilinear(2, false),
                Upsample.toSize(Resize.Mode.BILINEAR, 5, 7, false), Upsample.toSize(Resize.Mode.NEAREST, 7, 5, false),
                new Upsample(Resize.byScale(Resize.Mode.BILINEAR, 1.5, 2.5, true)))) {
            Resize spec = up.spec();
            LayerGradCheck.of(up.toString(), up, v -> ResampleRef.resize(v[0], xs, spec))
                    .run(TestData.nonContiguous(6, xs), true);
        }
    }

    @Test
    void aNetworksStateIsNamedAsPyTorchs() {
        // nn.Sequential(Conv2d, BatchNorm2d, ReLU, MaxPool2d, Conv2d(bias=False), Dropout2d, Upsample).state_dict()
        SeededRandom rng = new SeededRandom(7);
        Sequential net = new Sequential(new Conv2d(3, 8, 3, 1, 1, rng), new BatchNorm2d(8), new ReLU(),
                new MaxPool2d(2), new Conv2d(8, 4, 3, 1, 1, 1, false, rng), new Dropout2d(0.2, rng), Upsample.nearest(2));
        // PyTorch's order is 0.weight, 0.bias, 1.weight, 1.bias, 1.running_mean, 1.running_var,
        // 1.num_batches_tracked, 4.weight; StateDict keeps its int64 entries apart (listed after the arrays).
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "4.weight"),
                List.copyOf(net.stateDict().arrays().keySet()));
        assertEquals(List.of("1.num_batches_tracked"), List.copyOf(net.stateDict().longs().keySet()));
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "4.weight"),
                List.copyOf(net.namedParameters().keySet()));
        Tensor y = net.forward(Tensor.constant(TestData.array(8, 2, 3, 8, 8)));
        assertArrayEquals(new int[] {2, 4, 8, 8}, y.shape());
        assertEquals(1L, net.stateDict().longValue("1.num_batches_tracked"));
    }

    private static void check(String what, Upsample up, NDArray x, double[] expected) {
        Compare.assertClose(what, expected, up.forward(Tensor.constant(x)).data(), 1e-6, 0);
        Compare.assertClose(what + " twin", expected, NDArrays.of(ResampleRef.resize(
                org.layerensembles.core.reference.RefArrays.doubles(x), x.shape(), up.spec()),
                up.spec().outputShape("test", x.shape())), 1e-6, 0);
    }
}
