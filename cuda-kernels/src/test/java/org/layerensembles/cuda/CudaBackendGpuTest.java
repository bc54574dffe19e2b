package org.layerensembles.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.layerensembles.cuda.GpuVsCpu.CPU;
import static org.layerensembles.cuda.GpuVsCpu.close;
import static org.layerensembles.cuda.GpuVsCpu.dev;
import static org.layerensembles.cuda.GpuVsCpu.gpu;
import static org.layerensembles.cuda.GpuVsCpu.identical;
import static org.layerensembles.cuda.GpuVsCpu.ints;
import static org.layerensembles.cuda.GpuVsCpu.random;
import static org.layerensembles.cuda.GpuVsCpu.uniform;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.AdamUpdate;
import org.layerensembles.core.backend.BatchNormGrads;
import org.layerensembles.core.backend.BatchNormResult;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.backend.MaxPoolResult;
import org.layerensembles.core.backend.Pool2dParams;
import org.layerensembles.core.backend.ReduceOp;
import org.layerensembles.core.backend.Resize;
import org.layerensembles.core.backend.SgdUpdate;
import org.layerensembles.core.backend.UnaryOp;
import org.layerensembles.core.memory.MemoryScope;

/**
 * Every CUDA primitive against the CPU backend on fresh random inputs: unet-small shapes
 * (batch 2, 16 channels, 64x64) and odd ones, contiguous and strided. Tolerances (atol + rtol
 * |cpu|): elementwise maps 1e-6 + 1e-5 (CUDA's expf/logf/tanhf are within 2 ulp, the CPU's
 * within 1.5); sums accumulated in double (reductions, pooling, batch-norm statistics, softmax)
 * 1e-5 + 1e-5; float32 dot products (matmul, conv) 1e-4 + 1e-4, backward weights (8192 terms)
 * 2e-3 + 1e-4; resize backward (sums of up to ~1000 weighted terms at 16x) 1e-4 + 1e-5. Copies, indexing, argmax, max pooling, uniform fills and optimizer steps must be
 * bit for bit the CPU's.
 */
@Tag("gpu")
class CudaBackendGpuTest {
    private MemoryScope scope;

    @BeforeEach
    void requireGpu() {
        GpuAssumption.requireGpu();
        scope = MemoryScope.open();
    }

    @AfterEach
    void closeScope() {
        if (scope != null) {
            gpu().synchronize();
            scope.close();
        }
    }

    /** A non-contiguous host array of this shape (a transposed buffer) with fresh values. */
    private static NDArray strided(long seed, int... shape) {
        int r = shape.length;
        int[] swapped = shape.clone();
        swapped[r - 1] = shape[r - 2];
        swapped[r - 2] = shape[r - 1];
        return random(seed, swapped).transpose(r - 1, r - 2);
    }

    @Test
    void fillCopyCast() {
        NDArray d = gpu().empty(DType.FLOAT32, 3, 5, 7, 9);
        gpu().fill(d, 2.5);
        identical("fill contiguous", NDArrays.full(2.5f, 3, 5, 7, 9), d);
        NDArray base = dev(random(1, 3, 5, 9, 7));
        gpu().fill(base.transpose(2, 3).slice(1, 1, 3), -1);
        NDArray expected = random(1, 3, 5, 9, 7);
        CPU.fill(expected.transpose(2, 3).slice(1, 1, 3), -1);
        identical("fill strided view", expected, base);
        NDArray ints = gpu().empty(DType.INT32, 4, 6);
        gpu().fill(ints, 7);
        identical("fill int32", fillInts(7), ints);
        NDArray src = strided(2, 4, 6, 10);
        NDArray dst = gpu().empty(DType.FLOAT32, 4, 6, 10);
        gpu().copy(dev(src).transpose(0, 1).transpose(0, 1), dst);
        identical("copy to contiguous", src.contiguous(), dst);
        NDArray into = dev(NDArrays.zeros(4, 10, 6));
        gpu().copy(dev(src.contiguous()), into.transpose(1, 2));
        NDArray intoCpu = NDArrays.zeros(4, 10, 6);
        CPU.copy(src, intoCpu.transpose(1, 2));
        identical("copy into strided view", intoCpu, into);
        NDArray f = uniform(3, -1000, 1000, 5, 33);
        identical("cast float32 -> int32", CPU.cast(f, DType.INT32), gpu().cast(dev(f), DType.INT32));
        NDArray i = ints(4, 1000, 5, 33);
        identical("cast int32 -> float32", CPU.cast(i, DType.FLOAT32), gpu().cast(dev(i), DType.FLOAT32));
        NDArray special = NDArrays.of(new float[] {Float.NaN, 3e9f, -3e9f, -2.7f, 2.7f, -0.0f}, 6);
        identical("cast NaN / out of range", CPU.cast(special, DType.INT32), gpu().cast(dev(special), DType.INT32));
    }

    private static NDArray fillInts(int v) {
        int[] a = new int[24];
        java.util.Arrays.fill(a, v);
        return NDArrays.of(a, 4, 6);
    }

    @Test
    void randomFillsTakeTheCpuDraws() {
        NDArray cpu = NDArrays.empty(DType.FLOAT32, 3, 1000, 7);
        NDArray dev = gpu().empty(DType.FLOAT32, 3, 1000, 7);
        CPU.randomUniform(cpu, new SeededRandom(42), -0.5, 2);
        gpu().randomUniform(dev, new SeededRandom(42), -0.5, 2);
        identical("randomUniform", cpu, dev);
        SeededRandom a = new SeededRandom(7);
        SeededRandom b = new SeededRandom(7);
        a.reserve(123);
        b.reserve(123);
        NDArray cpuView = NDArrays.zeros(50, 40);
        NDArray devView = dev(NDArrays.zeros(50, 40));
        CPU.randomNormal(cpuView.transpose(0, 1), a, 1, 3);
        gpu().randomNormal(devView.transpose(0, 1), b, 1, 3);
        close("randomNormal (strided view, offset stream)", cpuView, devView, 1e-6, 1e-6);
    }

    @Test
    void unaryMapsAndGradients() {
        NDArray any = strided(10, 2, 16, 33, 17);
        NDArray positive = uniform(11, 0.05, 3, 2, 16, 17, 33);
        NDArray g = random(12, 2, 16, 17, 33);
        for (UnaryOp op : UnaryOp.values()) {
            NDArray x = op == UnaryOp.LOG || op == UnaryOp.SQRT ? positive : any;
            NDArray y = CPU.unary(op, x);
            close("unary " + op, y, gpu().unary(op, dev(x)), 1e-6, 1e-5);
            close("unaryBackward " + op, CPU.unaryBackward(op, x, y, g),
                    gpu().unaryBackward(op, dev(x), dev(y), dev(g)), 1e-6, 1e-5);
        }
    }

    @Test
    void binaryOpsBroadcastAndInPlace() {
        NDArray a = uniform(20, 0.1, 2, 2, 16, 17, 33);
        NDArray b = uniform(21, 0.1, 2, 2, 16, 17, 33);
        NDArray channel = uniform(22, 0.5, 1.5, 1, 16, 1, 1);
        NDArray row = strided(23, 17, 33);
        for (BinaryOp op : BinaryOp.values()) {
            close("binary " + op, CPU.binary(op, a, b), gpu().binary(op, dev(a), dev(b)), 1e-6, 1e-6);
            close("binary " + op + " per channel", CPU.binary(op, a, channel), gpu().binary(op, dev(a), dev(channel)),
                    1e-6, 1e-6);
            close("binary " + op + " strided row", CPU.binary(op, row, a), gpu().binary(op, dev(row), dev(a)),
                    1e-6, 1e-6);
        }
        NDArray acc = a.contiguous();
        NDArray accDev = dev(a);
        CPU.binaryInto(BinaryOp.ADD, acc, channel, acc);
        gpu().binaryInto(BinaryOp.ADD, accDev, dev(channel), accDev);
        identical("binaryInto ADD in place", acc, accDev);
    }

    @Test
    void clampAndWhere() {
        NDArray x = strided(30, 3, 7, 129);
        NDArray g = random(31, 3, 7, 129);
        identical("clamp", CPU.clamp(x, -0.3, 0.6), gpu().clamp(dev(x), -0.3, 0.6));
        identical("clampBackward", CPU.clampBackward(x, g, -0.3, 0.6), gpu().clampBackward(dev(x), dev(g), -0.3, 0.6));
        NDArray cond = ints(32, 2, 3, 1, 129);
        NDArray b = random(33, 7, 1);
        identical("where int condition", CPU.where(cond, x, b), gpu().where(dev(cond), dev(x), dev(b)));
        NDArray fcond = CPU.binary(BinaryOp.GT, g, x);
        identical("where float condition", CPU.where(fcond, g, x), gpu().where(dev(fcond), dev(g), dev(x)));
    }

    @Test
    void reductions() {
        NDArray x = random(40, 2, 16, 64, 64);
        NDArray s = strided(41, 5, 37, 300);
        NDArray big = random(42, 3, 70_000);
        for (ReduceOp op : ReduceOp.values()) {
            for (int[] axes : new int[][] {{0, 2, 3}, {1}, {3}, {}}) {
                close("reduce " + op + " " + java.util.Arrays.toString(axes), CPU.reduce(op, x, axes, true),
                        gpu().reduce(op, dev(x), axes, true), 1e-5, 1e-5);
            }
            close("reduce " + op + " strided [0, 2]", CPU.reduce(op, s, new int[] {0, 2}, false),
                    gpu().reduce(op, dev(s), new int[] {0, 2}, false), 1e-5, 1e-5);
            close("reduce " + op + " strided [1]", CPU.reduce(op, s, new int[] {1}, false),
                    gpu().reduce(op, dev(s), new int[] {1}, false), 1e-5, 1e-5);
            close("reduce " + op + " long rows (2 slices)", CPU.reduce(op, big, new int[] {1}, false),
                    gpu().reduce(op, dev(big), new int[] {1}, false), 1e-5, 1e-5);
        }
        identical("argmax axis 1", CPU.argmax(x, 1, false), gpu().argmax(dev(x), 1, false));
        identical("argmax strided last axis", CPU.argmax(s, -1, true), gpu().argmax(dev(s), -1, true));
        NDArray ties = NDArrays.of(new float[] {1, 3, 3, Float.NaN, 2, Float.NaN, 0, 0}, 2, 4);
        identical("argmax ties and NaN", CPU.argmax(ties, 1, false), gpu().argmax(dev(ties), 1, false));
        close("sumTo [16, 1, 1]", CPU.sumTo(x, 16, 1, 1), gpu().sumTo(dev(x), 16, 1, 1), 1e-5, 1e-5);
        close("sumTo same shape", CPU.sumTo(s, 5, 37, 300), gpu().sumTo(dev(s), 5, 37, 300), 0, 0);
    }

    @Test
    void matmul() {
        NDArray a = random(50, 67, 129);
        NDArray b = random(51, 129, 33);
        close("matmul 67x129 x 129x33", CPU.matmul(a, b, false, false), gpu().matmul(dev(a), dev(b), false, false),
                1e-4, 1e-4);
        NDArray at = random(52, 4, 129, 67);
        NDArray bt = random(53, 33, 129);
        close("matmul batched, both transposed, broadcast b", CPU.matmul(at, bt, true, true),
                gpu().matmul(dev(at), dev(bt), true, true), 1e-4, 1e-4);
        NDArray batch = random(54, 6, 5, 8);
        NDArray view = batch.slice(0, 1, 4).transpose(0, 1); // [5, 3, 8], a sliced and transposed view
        NDArray rhs = random(55, 5, 8, 3);
        close("matmul strided batch views", CPU.matmul(view, rhs, false, false),
                gpu().matmul(dev(batch).slice(0, 1, 4).transpose(0, 1), dev(rhs), false, false), 1e-5, 1e-5);
        NDArray nonAffine = random(56, 3, 4, 7, 5).permute(1, 0, 2, 3); // [4, 3, 7, 5]
        NDArray rhs2 = random(57, 5, 2);
        close("matmul offset table", CPU.matmul(nonAffine, rhs2, false, false),
                gpu().matmul(dev(random(56, 3, 4, 7, 5)).permute(1, 0, 2, 3), dev(rhs2), false, false), 1e-5, 1e-5);
    }

    @Test
    void conv2dForwardAndBackward() {
        NDArray x = random(60, 2, 16, 64, 64);
        NDArray w = random(61, 32, 16, 3, 3);
        NDArray bias = random(62, 32);
        Conv2dParams p = Conv2dParams.of(1, 1);
        NDArray y = CPU.conv2d(x, w, bias, p);
        close("conv2d 3x3 unet-small", y, gpu().conv2d(dev(x), dev(w), dev(bias), p), 1e-4, 1e-4);
        NDArray gy = random(63, y.shape());
        close("conv2dBackwardData 3x3", CPU.conv2dBackwardData(gy, w, x.shape(), p),
                gpu().conv2dBackwardData(dev(gy), dev(w), x.shape(), p), 1e-4, 1e-4);
        close("conv2dBackwardWeights 3x3", CPU.conv2dBackwardWeights(x, gy, w.shape(), p),
                gpu().conv2dBackwardWeights(dev(x), dev(gy), w.shape(), p), 2e-3, 1e-4);
        NDArray w1 = random(64, 2, 16, 1, 1);
        NDArray y1 = CPU.conv2d(x, w1, null, Conv2dParams.of(1, 0));
        close("conv2d 1x1 head", y1, gpu().conv2d(dev(x), dev(w1), null, Conv2dParams.of(1, 0)), 1e-5, 1e-5);
        NDArray xo = strided(65, 3, 5, 11, 13);
        NDArray wo = random(66, 4, 5, 3, 2);
        Conv2dParams po = new Conv2dParams(2, 1, 1, 2, 2, 1);
        NDArray yo = CPU.conv2d(xo, wo, null, po);
        close("conv2d odd (stride 2x1, pad 1x2, dilation 2x1)", yo, gpu().conv2d(dev(xo), dev(wo), null, po),
                1e-5, 1e-5);
        NDArray gyo = random(67, yo.shape());
        close("conv2dBackwardData odd", CPU.conv2dBackwardData(gyo, wo, xo.shape(), po),
                gpu().conv2dBackwardData(dev(gyo), dev(wo), xo.shape(), po), 1e-5, 1e-5);
        close("conv2dBackwardWeights odd", CPU.conv2dBackwardWeights(xo, gyo, wo.shape(), po),
                gpu().conv2dBackwardWeights(dev(xo), dev(gyo), wo.shape(), po), 1e-4, 1e-4);
    }

    @Test
    void pooling() {
        NDArray x = random(70, 2, 16, 64, 64);
        MaxPoolResult cpu = CPU.maxPool2d(x, Pool2dParams.of(2, 2, 0));
        MaxPoolResult dev = gpu().maxPool2d(dev(x), Pool2dParams.of(2, 2, 0));
        identical("maxPool2d 2x2 values", cpu.output(), dev.output());
        identical("maxPool2d 2x2 indices", cpu.indices(), dev.indices());
        NDArray gy = random(71, cpu.output().shape());
        identical("maxPool2dBackward 2x2 (no overlap: exact)", CPU.maxPool2dBackward(gy, cpu.indices(), x.shape()),
                gpu().maxPool2dBackward(dev(gy), dev.indices(), x.shape()));
        NDArray xo = strided(72, 3, 5, 11, 13);
        Pool2dParams p3 = new Pool2dParams(3, 2, 2, 1, 1, 1, false);
        MaxPoolResult co = CPU.maxPool2d(xo, p3);
        MaxPoolResult go = gpu().maxPool2d(dev(xo), p3);
        identical("maxPool2d 3x2 odd indices", co.indices(), go.indices());
        NDArray gyo = random(73, co.output().shape());
        close("maxPool2dBackward overlapping (atomics)", CPU.maxPool2dBackward(gyo, co.indices(), xo.shape()),
                gpu().maxPool2dBackward(dev(gyo), go.indices(), xo.shape()), 1e-6, 1e-6);
        for (boolean include : new boolean[] {true, false}) {
            Pool2dParams p = new Pool2dParams(3, 3, 2, 1, 1, 1, include);
            NDArray ya = CPU.avgPool2d(xo, p);
            close("avgPool2d countIncludePad=" + include, ya, gpu().avgPool2d(dev(xo), p), 1e-6, 1e-5);
            NDArray ga = random(74, ya.shape());
            close("avgPool2dBackward countIncludePad=" + include, CPU.avgPool2dBackward(ga, xo.shape(), p),
                    gpu().avgPool2dBackward(dev(ga), xo.shape(), p), 1e-6, 1e-5);
        }
        close("globalAvgPool2d", CPU.globalAvgPool2d(x), gpu().globalAvgPool2d(dev(x)), 1e-6, 1e-5);
        NDArray gg = random(75, 2, 16, 1, 1);
        close("globalAvgPool2dBackward", CPU.globalAvgPool2dBackward(gg, x.shape()),
                gpu().globalAvgPool2dBackward(dev(gg), x.shape()), 0, 0);
    }

    @Test
    void resampling() {
        NDArray x = random(80, 2, 16, 8, 8);
        NDArray odd = strided(81, 3, 2, 7, 5);
        List<Resize> specs = List.of(Resize.byScale(Resize.Mode.BILINEAR, 2, 2, true),
                Resize.byScale(Resize.Mode.BILINEAR, 16, 16, true), Resize.byScale(Resize.Mode.BILINEAR, 2, 2, false),
                Resize.toSize(Resize.Mode.BILINEAR, 5, 13, false), Resize.toSize(Resize.Mode.BILINEAR, 1, 9, true),
                Resize.byScale(Resize.Mode.NEAREST, 2, 2, false), Resize.byScale(Resize.Mode.NEAREST, 2.3, 0.6, false),
                Resize.toSize(Resize.Mode.NEAREST, 4, 20, false));
        for (Resize spec : specs) {
            for (NDArray in : List.of(x, odd)) {
                NDArray y = CPU.resize(in, spec);
                close("resize " + spec.mode() + " " + java.util.Arrays.toString(y.shape()) + " align "
                        + spec.alignCorners(), y, gpu().resize(dev(in), spec), 1e-6, 1e-6);
                NDArray gy = random(82, y.shape());
                close("resizeBackward " + spec.mode() + " " + java.util.Arrays.toString(y.shape()),
                        CPU.resizeBackward(gy, in.shape(), spec), gpu().resizeBackward(dev(gy), in.shape(), spec),
                        1e-4, 1e-5);
            }
        }
    }

    @Test
    void batchNorm() {
        NDArray x = uniform(90, 1, 3, 2, 16, 64, 64);
        NDArray gamma = random(91, 16);
        NDArray beta = random(92, 16);
        BatchNormResult cpu = CPU.batchNormTrain(x, gamma, beta, 1e-5);
        BatchNormResult dev = gpu().batchNormTrain(dev(x), dev(gamma), dev(beta), 1e-5);
        close("batchNormTrain output", cpu.output(), dev.output(), 1e-5, 1e-5);
        close("batchNormTrain mean", cpu.mean(), dev.mean(), 1e-6, 1e-6);
        close("batchNormTrain variance", cpu.variance(), dev.variance(), 1e-6, 1e-6);
        close("batchNormTrain invStd", cpu.invStd(), dev.invStd(), 1e-6, 1e-6);
        NDArray gy = random(93, x.shape());
        BatchNormGrads cg = CPU.batchNormBackward(gy, x, gamma, cpu.mean(), cpu.invStd());
        BatchNormGrads dg = gpu().batchNormBackward(dev(gy), dev(x), dev(gamma), dev(cpu.mean()), dev(cpu.invStd()));
        close("batchNormBackward gradInput", cg.gradInput(), dg.gradInput(), 1e-5, 1e-4);
        close("batchNormBackward gradGamma", cg.gradGamma(), dg.gradGamma(), 1e-4, 1e-5);
        close("batchNormBackward gradBeta", cg.gradBeta(), dg.gradBeta(), 1e-4, 1e-5);
        NDArray odd = strided(94, 3, 5, 7);
        NDArray rm = random(95, 5);
        NDArray rv = uniform(96, 0.5, 2, 5);
        close("batchNormEval odd, no affine", CPU.batchNormEval(odd, rm, rv, null, null, 1e-3),
                gpu().batchNormEval(dev(odd), dev(rm), dev(rv), null, null, 1e-3), 1e-6, 1e-6);
        BatchNormResult co = CPU.batchNormTrain(odd, null, null, 1e-3);
        close("batchNormTrain odd [3, 5, 7]", co.output(), gpu().batchNormTrain(dev(odd), null, null, 1e-3).output(),
                1e-5, 1e-5);
    }

    @Test
    void softmaxFamily() {
        NDArray x = uniform(100, -8, 8, 2, 4, 64, 64);
        NDArray odd = strided(101, 3, 7, 11);
        NDArray g = random(102, 2, 4, 64, 64);
        for (int axis : new int[] {1, -1}) {
            NDArray s = CPU.softmax(x, axis);
            close("softmax axis " + axis, s, gpu().softmax(dev(x), axis), 1e-6, 1e-5);
            close("softmaxBackward axis " + axis, CPU.softmaxBackward(s, g, axis),
                    gpu().softmaxBackward(dev(s), dev(g), axis), 1e-6, 1e-5);
            NDArray ls = CPU.logSoftmax(x, axis);
            close("logSoftmax axis " + axis, ls, gpu().logSoftmax(dev(x), axis), 1e-5, 1e-5);
            close("logSoftmaxBackward axis " + axis, CPU.logSoftmaxBackward(ls, g, axis),
                    gpu().logSoftmaxBackward(dev(ls), dev(g), axis), 1e-5, 1e-5);
        }
        close("softmax strided axis 0", CPU.softmax(odd, 0), gpu().softmax(dev(odd), 0), 1e-6, 1e-5);
    }

    @Test
    void concatAndSplit() {
        NDArray a = random(110, 2, 16, 8, 8);
        NDArray b = strided(111, 2, 32, 8, 8);
        NDArray joined = CPU.concat(List.of(a, b), 1);
        NDArray dj = gpu().concat(List.of(dev(a), dev(b)), 1);
        identical("concat axis 1 (skip connection)", joined, dj);
        List<NDArray> parts = CPU.split(joined.transpose(1, 3), 3, 10, 0, 38);
        List<NDArray> dparts = gpu().split(dj.transpose(1, 3), 3, 10, 0, 38);
        for (int i = 0; i < parts.size(); i++) {
            identical("split part " + i, parts.get(i), dparts.get(i));
        }
        NDArray li = ints(112, 9, 3, 5);
        identical("concat int32 axis 0", CPU.concat(List.of(li, li), 0), gpu().concat(List.of(dev(li), dev(li)), 0));
    }

    @Test
    void indexing() {
        NDArray x = strided(120, 3, 5, 7, 9);
        NDArray index = ints(121, 7, 3, 5, 4, 9);
        identical("gather axis 2", CPU.gather(x, 2, index), gpu().gather(dev(x), 2, dev(index)));
        NDArray logits = random(122, 2, 4, 16, 16);
        NDArray lab = ints(123, 4, 2, 1, 16, 16);
        identical("gather classes (cross-entropy)", CPU.gather(logits, 1, lab), gpu().gather(dev(logits), 1, dev(lab)));
        NDArray gy = random(124, index.shape());
        close("gatherBackward", CPU.gatherBackward(gy, 2, index, x.shape()),
                gpu().gatherBackward(dev(gy), 2, dev(index), x.shape()), 0, 0);
        NDArray labels = ints(125, 4, 2, 16, 16);
        identical("oneHot axis 1", CPU.oneHot(labels, 4, 1), gpu().oneHot(dev(labels), 4, 1));
        identical("oneHot axis -1", CPU.oneHot(labels, 4, -1), gpu().oneHot(dev(labels), 4, -1));
        NDArray bad = NDArrays.of(new int[] {0, 9, 1}, 1, 3);
        assertThrows(IndexOutOfBoundsException.class, () -> gpu().gather(dev(random(126, 1, 3)), 1, dev(bad)));
        assertThrows(IllegalArgumentException.class, () -> gpu().oneHot(dev(bad), 4, 1));
    }

    @Test
    void optimizerUpdatesAreTheCpuBits() {
        int n = 100_003;
        NDArray p = random(130, n);
        NDArray g = random(131, n);
        NDArray m = uniform(132, -0.01, 0.01, n);
        NDArray v = uniform(133, 0, 0.001, n);
        NDArray dp = dev(p);
        NDArray dm = dev(m);
        NDArray dv = dev(v);
        AdamUpdate adamW = new AdamUpdate(1 - 1e-3 * 1e-2, 0, 0.9, 0.999, Math.sqrt(1 - Math.pow(0.999, 3)), 1e-8,
                1e-3 / (1 - Math.pow(0.9, 3)));
        NDArray cp = p.contiguous();
        NDArray cm = m.contiguous();
        NDArray cv = v.contiguous();
        CPU.adamUpdate(cp, g, cm, cv, adamW);
        gpu().adamUpdate(dp, dev(g), dm, dv, adamW);
        identical("adamUpdate (AdamW) param", cp, dp);
        identical("adamUpdate m", cm, dm);
        identical("adamUpdate v", cv, dv);
        AdamUpdate adamL2 = new AdamUpdate(1, 1e-2, 0.9, 0.999, Math.sqrt(1 - 0.999), 1e-8, 1e-3 / (1 - 0.9));
        CPU.adamUpdate(cp, g, cm, cv, adamL2);
        gpu().adamUpdate(dp, dev(g), dm, dv, adamL2);
        identical("adamUpdate (L2) param", cp, dp);
        NDArray buf = NDArrays.zeros(n);
        NDArray dbuf = dev(buf);
        for (boolean first : new boolean[] {true, false}) {
            SgdUpdate s = new SgdUpdate(0.05, 1e-4, 0.9, 0.1, !first, first);
            CPU.sgdUpdate(cp, g, buf, s);
            gpu().sgdUpdate(dp, dev(g), dbuf, s);
            identical("sgdUpdate first=" + first + " param", cp, dp);
            identical("sgdUpdate first=" + first + " buffer", buf, dbuf);
        }
        double cs = CPU.sumOfSquares(cp);
        double ds = gpu().sumOfSquares(dp);
        System.out.printf("[gpu] %-48s cpu %.17g gpu %.17g rel %.3e%n", "sumOfSquares", cs, ds, Math.abs(cs - ds) / cs);
        assertEquals(cs, ds, 1e-12 * cs);
        CPU.scaleInPlace(cp, 0.37);
        gpu().scaleInPlace(dp, 0.37);
        identical("scaleInPlace", cp, dp);
    }
}
