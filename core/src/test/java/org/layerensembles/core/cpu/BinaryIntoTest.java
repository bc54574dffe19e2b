package org.layerensembles.core.cpu;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layerensembles.core.cpu.Inputs.array;
import static org.layerensembles.core.cpu.Inputs.strided;
import static org.layerensembles.core.cpu.Inputs.values;

import org.junit.jupiter.api.Test;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Backends;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.testing.Compare;

/**
 * {@link Backend#binaryInto} (what gradient accumulation uses) against {@link Backend#binary}:
 * both run the same row kernels, so results must be bit-identical, for contiguous, strided and
 * broadcast operands, with {@code out} a fresh array, a strided view, or {@code a} itself.
 */
class BinaryIntoTest {
    private static final Backend B = Backends.cpu();

    /** {a shape, b shape, out shape}: equal, broadcast either side, out wider than both. */
    private static final int[][][] SHAPES = {
        {{7}, {7}, {7}}, {{1000}, {1000}, {1000}}, {{5, 7}, {7}, {5, 7}}, {{5, 1}, {5, 37}, {5, 37}},
        {{2, 6, 5, 5}, {6, 1, 1}, {2, 6, 5, 5}}, {{3, 1}, {1, 4}, {3, 4}}, {{1}, {}, {2, 9}},
        {{4, 90, 100}, {90, 1}, {4, 90, 100}}, // two parallel tasks, split inside a row
    };

    @Test
    void matchesBinaryBitForBit() {
        long seed = 1;
        for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.MAX}) {
            for (int[][] s : SHAPES) {
                NDArray a = array(values(seed++, (int) Shapes.numel(s[0]), -2, 2), s[0]);
                NDArray b = array(values(seed++, (int) Shapes.numel(s[1]), -2, 2), s[1]);
                NDArray expected = B.binary(op, a.broadcastTo(s[2]), b);
                String what = op + " " + Shapes.str(s[0]) + " with " + Shapes.str(s[1]) + " into " + Shapes.str(s[2]);
                NDArray out = NDArrays.zeros(s[2]);
                B.binaryInto(op, a, b, out);
                Compare.assertIdentical(what, expected, out);
                NDArray stridedOut = strided(NDArrays.zeros(s[2]));
                B.binaryInto(op, strided(a), strided(b), stridedOut);
                Compare.assertIdentical(what + " (strided)", expected, stridedOut);
            }
        }
    }

    @Test
    void outMayBeTheFirstOperand() {
        int[][] shapes = {{1000}, {2, 6, 5, 5}, {4, 90, 100}};
        long seed = 100;
        for (int[] shape : shapes) {
            int n = (int) Shapes.numel(shape);
            NDArray acc = array(values(seed++, n, -2, 2), shape);
            NDArray g = array(values(seed++, n, -2, 2), shape);
            NDArray expected = B.binary(BinaryOp.ADD, acc, g);
            B.binaryInto(BinaryOp.ADD, acc, g, acc);
            Compare.assertIdentical("acc += g " + Shapes.str(shape), expected, acc);
            NDArray view = strided(acc);
            NDArray expectedView = B.binary(BinaryOp.ADD, view, g);
            B.binaryInto(BinaryOp.ADD, view, g, view);
            Compare.assertIdentical("strided acc += g " + Shapes.str(shape), expectedView, view);
        }
        NDArray perChannel = array(values(7, 6, -1, 1), 6, 1, 1);
        NDArray acc = array(values(8, 2 * 6 * 25, -1, 1), 2, 6, 5, 5);
        NDArray expected = B.binary(BinaryOp.ADD, acc, perChannel);
        B.binaryInto(BinaryOp.ADD, acc, perChannel, acc);
        Compare.assertIdentical("acc += broadcast b", expected, acc);
    }

    @Test
    void badShapesAndDtypesAreRejectedWithTheShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> B.binaryInto(BinaryOp.ADD, NDArrays.zeros(2, 3), NDArrays.zeros(3), NDArrays.zeros(3)));
        assertTrue(e.getMessage().contains("binaryInto ADD") && e.getMessage().contains("[2, 3]")
                && e.getMessage().contains("[3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> B.binaryInto(BinaryOp.MUL, NDArrays.zeros(2, 3), NDArrays.zeros(4), NDArrays.zeros(2, 3)));
        assertTrue(e.getMessage().contains("binaryInto MUL") && e.getMessage().contains("[4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> B.binaryInto(BinaryOp.ADD, NDArrays.zeros(3), NDArrays.zeros(3), NDArrays.zeros(DType.INT32, 3)));
        assertTrue(e.getMessage().contains("binaryInto ADD") && e.getMessage().contains("int32"), e.getMessage());
    }
}
