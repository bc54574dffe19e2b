package org.layerensembles.core.nd4j;

import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.cpu.CpuBackend;
import org.layerensembles.core.cpu.MatmulPlan;
import org.nd4j.enums.WeightsFormat;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Conv2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The comparison backend: ND4J's GEMM (its BLAS) for matmul and its {@code conv2d} custom op
 * (oneDNN in the {@code -onednn-avx2} build) for the convolution forward pass, run on our own
 * memory through {@link Nd4jArrays} (no copies: results are written straight into our output
 * arrays). Every other primitive is the CPU backend's.
 *
 * <p>Conventions matched: weights are passed in our layout [F, C, KH, KW] with ND4J's
 * {@link WeightsFormat#OIYX} (its default is YXIO, [KH, KW, C, F]); data format NCHW; explicit
 * padding (PaddingMode.VALID plus pH/pW, i.e. no SAME padding). ND4J 1.0.0-M2.1's oneDNN path
 * rejects dilated convolutions ("could not create a descriptor for a dilated convolution"), so
 * for dilation &gt; 1 its platform helpers are switched off for the call (a process-wide ND4J
 * setting: do not run two dilated convolutions on this backend concurrently).
 */
public class Nd4jBackend extends CpuBackend {

    @Override
    public String name() {
        return "nd4j";
    }

    @Override
    public NDArray matmul(NDArray a, NDArray b, boolean transposeA, boolean transposeB) {
        NDArray ac = a.contiguous();
        NDArray bc = b.contiguous();
        MatmulPlan plan = MatmulPlan.of("matmul", ac, bc, transposeA, transposeB);
        int m = plan.m();
        int n = plan.n();
        int k = plan.k();
        if (k == 0) {
            return NDArrays.zeros(plan.outShape());
        }
        NDArray out = NDArrays.empty(DType.FLOAT32, plan.outShape());
        if (plan.batches() == 0 || m == 0 || n == 0) {
            return out;
        }
        // Contiguous operands: each batch entry's matrix is a dense block, wrapped as its stored shape.
        int aRows = transposeA ? k : m;
        int aCols = transposeA ? m : k;
        int bRows = transposeB ? n : k;
        int bCols = transposeB ? k : n;
        for (int i = 0; i < plan.batches(); i++) {
            INDArray am = Nd4jArrays.wrap(matrix(ac, plan.aOffsets()[i], aRows, aCols));
            INDArray bm = Nd4jArrays.wrap(matrix(bc, plan.bOffsets()[i], bRows, bCols));
            INDArray cm = Nd4jArrays.wrap(matrix(out, (long) i * m * n, m, n));
            Nd4j.gemm(am, bm, cm, transposeA, transposeB, 1.0, 0.0);
        }
        return out;
    }

    /** A rows x cols row-major view of a contiguous array starting at element {@code offset}. */
    private static NDArray matrix(NDArray base, long offset, int rows, int cols) {
        return NDArray.view(base.allocation(), DType.FLOAT32, new int[] {rows, cols}, new int[] {cols, 1}, offset);
    }

    @Override
    public NDArray conv2d(NDArray x, NDArray w, NDArray bias, Conv2dParams p) {
        int[] outShape = p.forwardShape(x, w, bias);
        NDArray out = NDArrays.empty(DType.FLOAT32, outShape);
        if (Shapes.numel(outShape) == 0) {
            return out;
        }
        int[] ws = w.shape();
        Conv2DConfig config = Conv2DConfig.builder()
                .kH(ws[2]).kW(ws[3])
                .sH(p.strideH()).sW(p.strideW())
                .pH(p.padH()).pW(p.padW())
                .dH(p.dilationH()).dW(p.dilationW())
                .dataFormat(Conv2DConfig.NCHW)
                .weightsFormat(WeightsFormat.OIYX)
                .build();
        INDArray[] inputs = bias == null
                ? new INDArray[] {Nd4jArrays.wrap(x.contiguous()), Nd4jArrays.wrap(w.contiguous())}
                : new INDArray[] {Nd4jArrays.wrap(x.contiguous()), Nd4jArrays.wrap(w.contiguous()),
                        Nd4jArrays.wrap(bias.contiguous())};
        Conv2D conv = new Conv2D(inputs, new INDArray[] {Nd4jArrays.wrap(out)}, config);
        boolean dilated = p.dilationH() != 1 || p.dilationW() != 1;
        boolean helpers = Nd4j.getEnvironment().helpersAllowed();
        if (dilated && helpers) {
            synchronized (Nd4jBackend.class) {
                Nd4j.getEnvironment().allowHelpers(false);
                try {
                    Nd4j.exec(conv);
                } finally {
                    Nd4j.getEnvironment().allowHelpers(true);
                }
            }
        } else {
            Nd4j.exec(conv);
        }
        return out;
    }
}
