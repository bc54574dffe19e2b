package org.layerensembles.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.AdamUpdate;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.backend.Pool2dParams;
import org.layerensembles.core.backend.ReduceOp;
import org.layerensembles.core.backend.Resize;
import org.layerensembles.core.backend.SgdUpdate;
import org.layerensembles.core.backend.UnaryOp;

/**
 * Checks of the CUDA backend that need no GPU: every primitive is implemented, and every call
 * (on unet-small and odd shapes) launches kernels that exist, with arguments that match the
 * compiled kernels' parameters in number and type (checked against the PTX when the build had
 * nvcc), legal launch shapes and copies inside their allocations. Nothing is computed here.
 */
class CudaBackendWithoutGpuTest {
    /**
     * Backend methods that keep the interface's default: the fused batch norm + ReLU, composed of
     * CUDA primitives (batch norm, ReLU) until a fused kernel is written.
     */
    private static final Set<String> DEFAULTS_ALLOWED =
            Set.of("batchNormReluTrain", "batchNormReluEval", "batchNormReluBackward");

    @Test
    void everyBackendPrimitiveIsImplemented() {
        List<String> missing = new ArrayList<>();
        for (Method m : Backend.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || DEFAULTS_ALLOWED.contains(m.getName())) {
                continue;
            }
            try {
                Method impl = CudaBackend.class.getMethod(m.getName(), m.getParameterTypes());
                if (impl.getDeclaringClass() != CudaBackend.class) {
                    missing.add(m.getName());
                }
            } catch (NoSuchMethodException e) {
                missing.add(m.getName());
            }
        }
        assertEquals(List.of(), missing, "Backend methods CudaBackend does not implement itself");
    }

    @Test
    void opCodesFollowTheJavaEnums() {
        assertEquals(names(UnaryOp.values(), "U_"), KernelSources.enumConstants("elementwise", "UnaryCode"));
        assertEquals(names(BinaryOp.values(), "B_"), KernelSources.enumConstants("elementwise", "BinaryCode"));
        assertEquals(names(ReduceOp.values(), "R_"), KernelSources.enumConstants("reduce", "ReduceCode"));
    }

    private static List<String> names(Enum<?>[] values, String prefix) {
        return Stream.of(values).map(v -> prefix + v.name()).toList();
    }

    @Test
    void uncertaintyRecordLayoutMatchesTheKernel() {
        assertEquals(CudaLayerAgreement.MAX_HEADS, KernelSources.define("uncertainty", "MAX_HEADS"));
        assertEquals(CudaLayerAgreement.MAX_CLASSES, KernelSources.define("uncertainty", "MAX_CLASSES"));
        assertEquals(CudaLayerAgreement.BINS, KernelSources.define("uncertainty", "BINS"));
        assertEquals(CudaLayerAgreement.BLOCK_PIXELS, KernelSources.define("uncertainty", "BLOCK_PIXELS"));
        assertEquals(CudaLayerAgreement.REC_PIXELS, KernelSources.define("uncertainty", "REC_PIXELS"));
        assertEquals(CudaLayerAgreement.REC_SUM, KernelSources.define("uncertainty", "REC_SUM"));
        assertEquals(CudaLayerAgreement.REC_MIN, KernelSources.define("uncertainty", "REC_MIN"));
        assertEquals(CudaLayerAgreement.REC_MAX, KernelSources.define("uncertainty", "REC_MAX"));
        assertEquals(CudaLayerAgreement.REC_SHIFT, KernelSources.define("uncertainty", "REC_SHIFT"));
        assertEquals(CudaLayerAgreement.REC_NLL, KernelSources.define("uncertainty", "REC_NLL"));
        assertEquals(CudaLayerAgreement.REC_BRIER, KernelSources.define("uncertainty", "REC_BRIER"));
        assertEquals(CudaLayerAgreement.REC_BIN_CONF, KernelSources.define("uncertainty", "REC_BIN_CONF"));
        assertEquals(StridedLayout.MAX_RANK, KernelSources.define("common.cuh", "MAX_RANK"));
    }

    @Test
    void everyCallLaunchesDeclaredKernelsWithMatchingArguments() throws Exception {
        RecordingRuntime rt = new RecordingRuntime();
        CudaBackend b = new CudaBackend(rt);
        exerciseEveryPrimitive(b);
        CudaLayerAgreement agreement = new CudaLayerAgreement(b);
        for (int c : new int[] {2, 4}) {
            List<NDArray> heads = List.of(b.empty(DType.FLOAT32, 2, c, 37, 61), b.empty(DType.FLOAT32, 2, c, 37, 61),
                    b.empty(DType.FLOAT32, 2, c, 37, 61));
            CudaLayerAgreement.Result r = agreement.compute(heads, b.empty(DType.INT32, 2, 37, 61), 1e-5, false);
            assertEquals(2, r.groups().size());
            assertEquals(2, r.groups().get(0).agreeIntersection().length);
            assertEquals(c > 2, r.groups().get(0).classIntersection() != null);
            r = agreement.compute(b.empty(DType.FLOAT32, 5, 3, c, 64, 64), null, 1e-5, true);
            assertEquals(1, r.groups().size());
        }
        assertEquals(0, rt.scratchInUse(), "temporary device memory not returned");

        Set<String> launched = new TreeSet<>();
        rt.launches().forEach(l -> launched.add(l.module() + "." + l.kernel()));
        Set<String> declared = new TreeSet<>();
        try (Stream<Path> files = Files.list(KernelSources.SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cu")).toList()) {
                String module = f.getFileName().toString().replace(".cu", "");
                if (!module.equals("smoke")) { // the driver binding's own test kernel
                    KernelSources.kernelNames(module).forEach(k -> declared.add(module + "." + k));
                }
            }
        }
        declared.removeAll(launched);
        assertEquals(Set.of(), declared, "kernels no call reached, so their arguments went unchecked");
        if (!rt.ptxChecked()) {
            System.out.println("[cuda] no PTX in target/classes/cuda (built without nvcc): argument types unchecked");
        }
    }

    /** Calls every primitive, on unet-small shapes and odd ones, views included. */
    static void exerciseEveryPrimitive(CudaBackend b) {
        NDArray x = b.empty(DType.FLOAT32, 8, 16, 128, 128);
        NDArray odd = b.empty(DType.FLOAT32, 3, 5, 7, 9);
        NDArray oddT = b.empty(DType.FLOAT32, 3, 5, 9, 7).transpose(2, 3); // odd's shape, another layout
        NDArray channel = b.empty(DType.FLOAT32, 1, 5, 1, 1);
        NDArray labels = b.empty(DType.INT32, 3, 7, 9);

        b.fill(x, 1.5);
        b.fill(oddT, 2);
        b.fill(labels, 3);
        b.copy(odd, b.empty(DType.FLOAT32, 3, 5, 9, 7).transpose(2, 3));
        b.copy(odd, b.empty(DType.FLOAT32, 3, 5, 7, 9));
        b.cast(oddT, DType.INT32);
        b.cast(labels, DType.FLOAT32);
        b.cast(odd, DType.FLOAT32);
        b.randomUniform(oddT, new SeededRandom(1), -1, 1);
        b.randomNormal(x, new SeededRandom(2), 0, 1);
        for (UnaryOp op : UnaryOp.values()) {
            NDArray y = b.unary(op, oddT);
            b.unaryBackward(op, oddT, y, odd);
        }
        for (BinaryOp op : BinaryOp.values()) {
            b.binary(op, odd, channel);
            b.binary(op, odd, odd);
            b.binaryInto(op, odd, oddT, odd);
        }
        b.clamp(oddT, -0.5, 0.5);
        b.clampBackward(oddT, odd, -0.5, 0.5);
        b.where(labels.reshape(3, 1, 7, 9), odd, channel);
        b.where(odd, odd, oddT);

        for (ReduceOp op : ReduceOp.values()) {
            b.reduce(op, x, new int[] {0, 2, 3}, true);
            b.reduce(op, oddT, new int[] {1}, false);
            b.reduce(op, odd, null, false);
            b.reduce(op, x, new int[] {3}, false);
        }
        b.reduce(ReduceOp.SUM, b.empty(DType.FLOAT32, 4, 0, 3), new int[] {1}, false);
        b.argmax(x, 1, false);
        b.argmax(oddT, -1, true);
        b.sumTo(x, 16, 1, 1);
        b.sumTo(odd, 3, 5, 7, 9);

        b.matmul(b.empty(DType.FLOAT32, 67, 33), b.empty(DType.FLOAT32, 33, 129), false, false);
        b.matmul(b.empty(DType.FLOAT32, 4, 33, 67), b.empty(DType.FLOAT32, 129, 33), true, true);
        NDArray batch = b.empty(DType.FLOAT32, 6, 5, 8);
        b.matmul(batch.slice(0, 1, 4).transpose(0, 1), b.empty(DType.FLOAT32, 5, 8, 3), false, false);

        NDArray w3 = b.empty(DType.FLOAT32, 32, 16, 3, 3);
        NDArray y3 = b.conv2d(x, w3, b.empty(DType.FLOAT32, 32), Conv2dParams.of(1, 1));
        b.conv2dBackwardData(y3, w3, x.shape(), Conv2dParams.of(1, 1));
        b.conv2dBackwardWeights(x, y3, w3.shape(), Conv2dParams.of(1, 1));
        Conv2dParams odd2 = new Conv2dParams(2, 1, 1, 2, 2, 1);
        NDArray wOdd = b.empty(DType.FLOAT32, 4, 5, 3, 2);
        NDArray yOdd = b.conv2d(oddT, wOdd, null, odd2);
        b.conv2dBackwardData(yOdd, wOdd, oddT.shape(), odd2);
        b.conv2dBackwardWeights(oddT, yOdd, wOdd.shape(), odd2);

        var pooled = b.maxPool2d(x, Pool2dParams.of(2, 2, 0));
        b.maxPool2dBackward(pooled.output(), pooled.indices(), x.shape());
        Pool2dParams p3 = new Pool2dParams(3, 2, 2, 1, 1, 1, false);
        b.avgPool2dBackward(b.avgPool2d(oddT, p3), oddT.shape(), p3);
        b.globalAvgPool2dBackward(b.globalAvgPool2d(oddT), oddT.shape());

        for (Resize spec : List.of(Resize.byScale(Resize.Mode.BILINEAR, 2, 2, true),
                Resize.toSize(Resize.Mode.BILINEAR, 5, 13, false), Resize.byScale(Resize.Mode.NEAREST, 2, 2, false),
                Resize.toSize(Resize.Mode.NEAREST, 4, 20, false))) {
            NDArray r = b.resize(oddT, spec);
            b.resizeBackward(r, oddT.shape(), spec);
        }

        NDArray gamma = b.empty(DType.FLOAT32, 16);
        var bn = b.batchNormTrain(x, gamma, b.empty(DType.FLOAT32, 16), 1e-5);
        b.batchNormEval(oddT, b.empty(DType.FLOAT32, 5), b.empty(DType.FLOAT32, 5), null, null, 1e-5);
        b.batchNormBackward(bn.output(), x, gamma, bn.mean(), bn.invStd());
        b.batchNormBackward(odd, odd, null, b.empty(DType.FLOAT32, 5), b.empty(DType.FLOAT32, 5));

        NDArray s = b.softmax(oddT, 1);
        b.softmaxBackward(s, odd, 1);
        NDArray ls = b.logSoftmax(oddT, -1);
        b.logSoftmaxBackward(ls, oddT, -1);

        NDArray joined = b.concat(List.of(odd, oddT, b.empty(DType.FLOAT32, 3, 2, 9, 7).transpose(2, 3)), 1);
        b.split(joined, 1, 4, 0, 8);
        b.split(joined.transpose(1, 3), 3, 12);

        NDArray index = b.empty(DType.INT32, 3, 5, 4, 9);
        b.gather(oddT, 2, index);
        b.gatherBackward(b.empty(DType.FLOAT32, 3, 5, 4, 9), 2, index, new int[] {3, 5, 7, 9});
        b.oneHot(labels, 4, 1);
        b.oneHot(labels, 4, -1);

        NDArray p = b.empty(DType.FLOAT32, 1000);
        NDArray g = b.empty(DType.FLOAT32, 1000);
        b.adamUpdate(p, g, b.empty(DType.FLOAT32, 1000), b.empty(DType.FLOAT32, 1000),
                new AdamUpdate(0.99, 0, 0.9, 0.999, 0.1, 1e-8, 1e-3));
        b.sgdUpdate(p, g, b.empty(DType.FLOAT32, 1000), new SgdUpdate(0.1, 1e-4, 0.9, 0, true, false));
        b.sgdUpdate(p, g, null, new SgdUpdate(0.1, 0, 0, 0, false, true));
        assertEquals(0.0, b.sumOfSquares(b.empty(DType.FLOAT32, 300_000)));
        b.scaleInPlace(p, 0.5);
    }

    @Test
    void hostInputsAreRefusedWithAClearMessage() {
        CudaBackend b = new CudaBackend(new RecordingRuntime());
        NDArray host = NDArrays.zeros(2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.unary(UnaryOp.EXP, host));
        assertTrue(e.getMessage().contains("lives on cpu; move it with CudaBackend.toDevice"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> b.matmul(b.empty(DType.FLOAT32, 2, 3), NDArrays.zeros(3, 2), false, false));
        assertTrue(e.getMessage().startsWith("matmul: b"), e.getMessage());
    }

    @Test
    void argumentErrorsReadAsOnTheCpuBackend() {
        CudaBackend b = new CudaBackend(new RecordingRuntime());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.binary(BinaryOp.ADD, b.empty(DType.FLOAT32, 2, 3), b.empty(DType.FLOAT32, 4)));
        assertTrue(e.getMessage().contains("cannot be broadcast"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> b.reduce(ReduceOp.MAX, b.empty(DType.FLOAT32, 2, 0), new int[] {1}, false));
        assertTrue(e.getMessage().contains("zero elements"), e.getMessage());
    }

    @Test
    void layoutsMergeDimensionsThatStepAsOne() {
        // contiguous [2, 3, 4]: one run
        StridedLayout l = StridedLayout.of("t", new int[] {2, 3, 4}, new int[] {12, 4, 1});
        assertEquals(1, l.rank());
        // transposed matrix stays two dimensions
        assertEquals(2, StridedLayout.of("t", new int[] {3, 5}, new int[] {1, 3}).rank());
        // [N, C, H, W] against a [1, C, 1, 1] operand: N, C and H*W
        NDArray c = NDArrays.zeros(1, 4, 1, 1);
        int[] shape = {2, 4, 3, 3};
        l = StridedLayout.of("t", shape, StridedLayout.broadcastStrides(c, shape), new int[] {36, 9, 3, 1});
        assertEquals(3, l.rank());
        assertArrayEquals(new int[] {0, 1, 0, 0}, StridedLayout.broadcastStrides(c, shape));
        // extents of 1 vanish; a scalar is one element
        assertEquals(1, StridedLayout.of("t", new int[] {1, 1}, new int[] {5, 7}).rank());
        KernelArgs args = StridedLayout.of("t", new int[] {}, new int[] {}).addTo(KernelArgs.create());
        assertEquals(1 + 2 * StridedLayout.MAX_RANK, args.count());
    }

    @Test
    void withoutADriverTheBackendSaysWhy() {
        assertFalse(CudaDriver.available() && Boolean.getBoolean("never"), "placeholder");
        if (CudaDriver.available()) {
            return;
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, CudaBackend::new);
        assertTrue(e.getMessage().startsWith("the cuda backend cannot run here: "), e.getMessage());
        assertTrue(Arrays.asList(org.layerensembles.core.backend.Backends.class.getMethods()).stream()
                .anyMatch(m -> m.getName().equals("get")));
        IllegalStateException viaProvider = assertThrows(IllegalStateException.class,
                () -> org.layerensembles.core.backend.Backends.get("cuda"));
        assertTrue(viaProvider.getMessage().contains("cuda"), viaProvider.getMessage());
    }
}
