package org.layerensembles.core.cpu;

import static org.layerensembles.core.cpu.Inputs.strided;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.UnaryOp;
import org.layerensembles.core.testing.Compare;

/**
 * Elementwise ops give the same bits whatever the JIT's state and the thread count: every unary
 * op, its gradient and POW computed cold (first calls, 1 thread: the interpreter and C1, where
 * the Vector API runs its per-lane Java fallback) must equal the same computation after a few
 * thousand warm-up calls (C2-compiled kernels, where EXP/LOG/TANH/POW would be SVML) with 2
 * threads. Also: strided rows (scalar loop) give the same bits as contiguous rows (vector lanes).
 *
 * <p>"Cold" is only cold when this class runs first in its JVM; run alone
 * ({@code -Dtest=ElementwiseDeterminismTest}) it failed on the former Vector API EXP/LOG/TANH/POW.
 */
class ElementwiseDeterminismTest {
    /** Several parallel tasks (BroadcastLoop.GRAIN = 32768 elements), rows not a multiple of the vector width. */
    private static final int[] SHAPE = {3, 40001};
    /** Warm-up rounds of 1000 calls each. */
    private static final int ROUNDS = 5;

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    /**
     * Values covering every branch: |x| tiny (tanh's polynomial, exp near 1), moderate (tanh's exp
     * form), up to +-100 (exp/sigmoid over- and underflow, tanh saturation); positive only for
     * LOG and SQRT (with subnormals and values near 1).
     */
    private static NDArray input(UnaryOp op, long seed, int... shape) {
        Random r = new Random(seed);
        int n = shape[0] * shape[1];
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            double v = switch (i % 4) {
                case 0 -> r.nextDouble() * 6 - 3;
                case 1 -> (r.nextDouble() * 2 - 1) * Math.pow(10, -8 * r.nextDouble());
                case 2 -> r.nextDouble() * 24 - 12;
                default -> r.nextDouble() * 200 - 100;
            };
            if (op == UnaryOp.LOG || op == UnaryOp.SQRT) {
                v = i % 8 == 1 ? 1 + v * 1e-3 : i % 8 == 5 ? Math.abs(v) * 1e-35 : Math.abs(v);
            }
            f[i] = (float) v;
        }
        return NDArrays.of(f, shape);
    }

    /** a in (0, 4) (negative with integral b every fifth element), b in [-4, 4]. */
    private static NDArray[] powInputs(long seed, int... shape) {
        Random r = new Random(seed);
        int n = shape[0] * shape[1];
        float[] a = new float[n];
        float[] b = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextDouble() * 4);
            b[i] = (float) (r.nextDouble() * 8 - 4);
            if (i % 5 == 0) {
                a[i] = -a[i];
                b[i] = Math.round(b[i]);
            }
        }
        return new NDArray[] {NDArrays.of(a, shape), NDArrays.of(b, shape)};
    }

    /** Per unary op {x, gradY}, then {a, b} for POW. */
    private static List<NDArray[]> inputs(int... shape) {
        List<NDArray[]> in = new ArrayList<>();
        long seed = 1;
        for (UnaryOp op : UnaryOp.values()) {
            in.add(new NDArray[] {input(op, seed++, shape), input(UnaryOp.NEG, seed++, shape)});
        }
        in.add(powInputs(seed, shape));
        return in;
    }

    /** Every unary op and its gradient, then POW, in a fixed order. */
    private static List<NDArray> compute(List<NDArray[]> in) {
        List<NDArray> out = new ArrayList<>();
        UnaryOp[] ops = UnaryOp.values();
        for (int k = 0; k < ops.length; k++) {
            NDArray x = in.get(k)[0];
            NDArray y = CpuElementwise.unary(ops[k], x);
            out.add(y);
            out.add(CpuElementwise.unaryBackward(ops[k], x, y, in.get(k)[1]));
        }
        NDArray[] ab = in.get(ops.length);
        out.add(CpuElementwise.binary(BinaryOp.POW, ab[0], ab[1]));
        return out;
    }

    private static String name(int i) {
        UnaryOp[] ops = UnaryOp.values();
        return i / 2 < ops.length ? ops[i / 2] + (i % 2 == 0 ? "" : " backward") : "POW";
    }

    @Test
    void coldOneThreadEqualsWarmTwoThreads() throws InterruptedException {
        List<NDArray[]> in = inputs(SHAPE);
        Parallel.setThreads(1);
        List<NDArray> cold = compute(in);
        Parallel.setThreads(2);
        // Warm-up calls (vector loop and masked tail) until the kernels reach C2, compared after
        // each round: compilation runs in the background and may lag on a busy machine, so the
        // pauses give the compiler threads time and the rounds catch whichever tier is installed.
        List<NDArray[]> small = inputs(2, 517);
        for (int round = 1; round <= ROUNDS; round++) {
            for (int k = 0; k < 1000; k++) {
                compute(small);
            }
            Thread.sleep(100);
            List<NDArray> warm = compute(in);
            for (int i = 0; i < cold.size(); i++) {
                Compare.assertIdentical(name(i) + " cold/1 thread vs warm/2 threads, round " + round, cold.get(i),
                        warm.get(i));
            }
        }
    }

    @Test
    void stridedRowsEqualContiguousRows() {
        int[] shape = {37, 53};
        long seed = 100;
        for (UnaryOp op : UnaryOp.values()) {
            NDArray x = input(op, seed++, shape);
            Compare.assertIdentical(op + " strided vs contiguous", CpuElementwise.unary(op, x),
                    CpuElementwise.unary(op, strided(x)));
        }
        NDArray[] ab = powInputs(seed, shape);
        Compare.assertIdentical("POW strided vs contiguous", CpuElementwise.binary(BinaryOp.POW, ab[0], ab[1]),
                CpuElementwise.binary(BinaryOp.POW, strided(ab[0]), ab[1]));
    }
}
