package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fused per-parameter update loops: one pass over a parameter's contiguous float32 elements
 * reads the parameter, its gradient and its state, and writes the new parameter and state, with
 * no temporary arrays. Offsets are in elements of each segment.
 *
 * <p>Each loop is a Vector API body followed by a scalar tail that applies the very same float32
 * operations in the same order; +, *, / and sqrt are correctly rounded in both, so an element
 * gets the same bits whichever path it takes (tested). The rules are the torch.optim
 * documentation's; products and quotients are grouped as in PyTorch's single-tensor CPU code
 * (torch/optim/sgd.py, adam.py), e.g. its {@code addcdiv} is {@code p + (value * m) / denom}.
 * Hyper-parameters arrive as float32, as in PyTorch's kernels (a Python float becomes the tensor's
 * scalar type), after being combined in double ({@code lr / (1 - beta1^t)}, {@code 1 - lr * wd}).
 * No fused multiply-adds: each product is rounded before its sum, in the body and the tail alike.
 */
final class UpdateKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Fixed widths for the norm, so its summation order is the same on every machine. */
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Double> D4 = DoubleVector.SPECIES_256;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private UpdateKernels() {
    }

    private static FloatVector at(MemorySegment s, long i) {
        return FloatVector.fromMemorySegment(F, s, i * 4, NATIVE);
    }

    /**
     * SGD, PyTorch's rule. With {@code d = g + wd * p} (weight decay only when wd != 0):
     * <pre>
     *   momentum == 0:  p = p - lr * d
     *   first step:     b = d                                  (no dampening on the first step)
     *   later steps:    b = momentum * b + (1 - dampening) * d
     *   then            p = p - lr * (nesterov ? d + momentum * b : b)
     * </pre>
     * {@code b} is not touched (may be {@link MemorySegment#NULL}) when momentum is 0.
     */
    static void sgd(MemorySegment p, long po, MemorySegment g, long go, MemorySegment b, long bo, int n,
                    float negLr, float wd, float momentum, float oneMinusDampening, boolean nesterov,
                    boolean firstStep) {
        boolean decay = wd != 0;
        boolean useMomentum = momentum != 0;
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            FloatVector pv = at(p, po + i);
            FloatVector d = at(g, go + i);
            if (decay) {
                d = d.add(pv.mul(wd));
            }
            if (useMomentum) {
                FloatVector bv = firstStep ? d : at(b, bo + i).mul(momentum).add(d.mul(oneMinusDampening));
                bv.intoMemorySegment(b, (bo + i) * 4, NATIVE);
                d = nesterov ? d.add(bv.mul(momentum)) : bv;
            }
            pv.add(d.mul(negLr)).intoMemorySegment(p, (po + i) * 4, NATIVE);
        }
        for (; i < n; i++) {
            float pv = p.getAtIndex(F32, po + i);
            float d = g.getAtIndex(F32, go + i);
            if (decay) {
                d = d + pv * wd;
            }
            if (useMomentum) {
                float bv = firstStep ? d : b.getAtIndex(F32, bo + i) * momentum + d * oneMinusDampening;
                b.setAtIndex(F32, bo + i, bv);
                d = nesterov ? d + bv * momentum : bv;
            }
            p.setAtIndex(F32, po + i, pv + d * negLr);
        }
    }

    /**
     * Adam and AdamW, PyTorch's rule:
     * <pre>
     *   p = p * decay                             (AdamW: decay = 1 - lr * wd; Adam: 1, skipped)
     *   d = g + l2 * p                            (Adam's L2 weight decay; skipped when l2 == 0)
     *   m = beta1 * m + (1 - beta1) * d          (torch computes it as m.lerp_(d, 1 - beta1))
     *   v = v * beta2 + (1 - beta2) * d * d       (torch's mul_ then addcmul_)
     *   denom = sqrt(v) / sqrt(1 - beta2^t) + eps
     *   p = p + (-lr / (1 - beta1^t)) * m / denom (torch's addcdiv_)
     * </pre>
     */
    static void adam(MemorySegment p, long po, MemorySegment g, long go, MemorySegment m, long mo, MemorySegment v,
                     long vo, int n, float decay, float l2, float beta1, float oneMinusBeta1, float beta2,
                     float oneMinusBeta2, float bc2Sqrt, float eps, float negStepSize) {
        boolean decoupled = decay != 1;
        boolean coupled = l2 != 0;
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            FloatVector pv = at(p, po + i);
            if (decoupled) {
                pv = pv.mul(decay);
            }
            FloatVector d = at(g, go + i);
            if (coupled) {
                d = d.add(pv.mul(l2));
            }
            FloatVector mv = at(m, mo + i);
            mv = mv.mul(beta1).add(d.mul(oneMinusBeta1));
            FloatVector vv = at(v, vo + i).mul(beta2).add(d.mul(oneMinusBeta2).mul(d));
            FloatVector denom = vv.lanewise(VectorOperators.SQRT).div(bc2Sqrt).add(eps);
            pv = pv.add(mv.mul(negStepSize).div(denom));
            mv.intoMemorySegment(m, (mo + i) * 4, NATIVE);
            vv.intoMemorySegment(v, (vo + i) * 4, NATIVE);
            pv.intoMemorySegment(p, (po + i) * 4, NATIVE);
        }
        for (; i < n; i++) {
            float pv = p.getAtIndex(F32, po + i);
            if (decoupled) {
                pv = pv * decay;
            }
            float d = g.getAtIndex(F32, go + i);
            if (coupled) {
                d = d + pv * l2;
            }
            float mv = m.getAtIndex(F32, mo + i);
            mv = mv * beta1 + d * oneMinusBeta1;
            float vv = v.getAtIndex(F32, vo + i) * beta2 + d * oneMinusBeta2 * d;
            float denom = (float) Math.sqrt(vv) / bc2Sqrt + eps;
            pv = pv + mv * negStepSize / denom;
            m.setAtIndex(F32, mo + i, mv);
            v.setAtIndex(F32, vo + i, vv);
            p.setAtIndex(F32, po + i, pv);
        }
    }

    /**
     * Sum of squares in double, in an order fixed by the element count alone (not by the
     * machine's vector width): eight running sums, element i going to sum i mod 8, combined
     * pairwise at the end. Each square of a float32 is exact in double, so only the sums round.
     */
    static double sumOfSquares(MemorySegment x, long xo, long n) {
        DoubleVector acc0 = DoubleVector.zero(D4);
        DoubleVector acc1 = DoubleVector.zero(D4);
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            FloatVector f = FloatVector.fromMemorySegment(F8, x, (xo + i) * 4, NATIVE);
            DoubleVector lo = (DoubleVector) f.convertShape(VectorOperators.F2D, D4, 0);
            DoubleVector hi = (DoubleVector) f.convertShape(VectorOperators.F2D, D4, 1);
            acc0 = acc0.add(lo.mul(lo));
            acc1 = acc1.add(hi.mul(hi));
        }
        double[] s = new double[8];
        acc0.intoArray(s, 0);
        acc1.intoArray(s, 4);
        for (int k = 0; i < n; i++, k++) {
            double a = x.getAtIndex(F32, xo + i);
            s[k] += a * a;
        }
        return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    }

    /** x = x * c, in place. */
    static void scale(MemorySegment x, long xo, int n, float c) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            at(x, xo + i).mul(c).intoMemorySegment(x, (xo + i) * 4, NATIVE);
        }
        for (; i < n; i++) {
            x.setAtIndex(F32, xo + i, x.getAtIndex(F32, xo + i) * c);
        }
    }
}
