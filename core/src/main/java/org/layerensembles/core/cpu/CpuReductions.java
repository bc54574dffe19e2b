package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Checks;
import org.layerensembles.core.backend.ReduceOp;
import org.layerensembles.core.backend.ReduceShapes;
import org.layerensembles.core.cpu.ReduceKernels.Groups;

/**
 * Reductions of the CPU backend: sum, mean, max, min over axes; argmax ({@link CpuArgmax});
 * sumTo, the gradient of broadcasting.
 *
 * <p>Plan of a reduction: the input is made contiguous, dimensions of extent 1 are dropped and
 * neighbouring dimensions that are both reduced or both kept are merged into groups. Then
 * either the innermost group is reduced ("rows": each output reduces contiguous rows, e.g. a
 * sum over H, W) or it is kept ("columns": a vector of neighbouring outputs accumulates one
 * vector per reduced position, e.g. a sum over the batch of [N, F]).
 *
 * <p>Determinism: the reduced positions of each output are cut into pieces whose boundaries
 * depend only on the shapes, each piece is reduced on its own, and the pieces' partial results
 * are combined in order on the calling thread. How tasks fall on threads changes nothing.
 */
final class CpuReductions {
    /** Reduced elements per piece; also the target amount of work per task. */
    static final int PIECE = 1 << 16;
    /** Column case: the reduced positions are split into pieces only below this many outputs. */
    private static final int SMALL_OUTPUT = ReduceKernels.BLOCK;
    private static final int MAX_COLUMN_PIECES = 64;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private CpuReductions() {
    }

    /**
     * Reduces float32 x over the given axes (negative ones count from the end; null or empty
     * means all). keepDims keeps reduced axes with extent 1. Sums are accumulated in double.
     * MEAN over zero elements is NaN; MAX and MIN over zero elements throw. NaN wins in MAX and MIN.
     */
    public static NDArray reduce(ReduceOp op, NDArray x, int[] axes, boolean keepDims) {
        Objects.requireNonNull(op, "reduce: op is null");
        String name = "reduce " + op;
        Checks.float32(name, "x", x);
        int[] shape = x.shape();
        boolean[] reduced = ReduceShapes.reducedAxes(name, shape, axes);
        long count = ReduceShapes.reducedCount(name, op, shape, reduced);
        NDArray out = NDArrays.empty(DType.FLOAT32, ReduceShapes.outShape(shape, reduced, keepDims));
        if (out.numel() == 0) {
            return out;
        }
        if (count == 0) {
            fillWith(out, op == ReduceOp.SUM ? 0f : Float.NaN);
            return out;
        }
        NDArray c = x.contiguous();
        Plan plan = Plan.of(shape, reduced);
        if (plan.rowCase) {
            reduceRows(op, c, plan, out, count);
        } else {
            reduceColumns(op, c, plan, out, count);
        }
        return out;
    }

    /** int32 index of the largest element along an axis, first on ties; NaN counts as largest. */
    public static NDArray argmax(NDArray x, int axis, boolean keepDims) {
        return CpuArgmax.argmax(x, axis, keepDims);
    }

    /**
     * Sums x down to {@code shape}, which x's shape must be a broadcast of: over leading extra
     * dimensions and over dimensions where {@code shape} has extent 1.
     */
    public static NDArray sumTo(NDArray x, int... shape) {
        Checks.float32("sumTo", "x", x);
        Objects.requireNonNull(shape, "sumTo: shape is null");
        int[] target = Shapes.validate("sumTo", shape);
        int[] axes = ReduceShapes.sumToAxes(x.shape(), target);
        if (axes.length == 0) {
            NDArray out = NDArrays.empty(DType.FLOAT32, target);
            StridedCopy.copy(x, out.reshape(x.shape()));
            return out;
        }
        return reduce(ReduceOp.SUM, x, axes, true).reshape(target);
    }

    private static void fillWith(NDArray out, float value) {
        MemorySegment seg = out.segment();
        for (long i = 0; i < out.numel(); i++) {
            seg.setAtIndex(F32, out.offset() + i, value);
        }
    }

    /**
     * The grouped layout of a contiguous input: kept groups (whose row-major order is the
     * output's) and reduced groups, with element strides.
     */
    private record Plan(Groups kept, Groups reducedGroups, boolean rowCase) {
        static Plan of(int[] shape, boolean[] reduced) {
            List<int[]> groups = new ArrayList<>(); // {extent, reduced ? 1 : 0}
            for (int d = 0; d < shape.length; d++) {
                if (shape[d] == 1) {
                    continue;
                }
                int kind = reduced[d] ? 1 : 0;
                if (!groups.isEmpty() && groups.get(groups.size() - 1)[1] == kind) {
                    groups.get(groups.size() - 1)[0] *= shape[d];
                } else {
                    groups.add(new int[] {shape[d], kind});
                }
            }
            if (groups.isEmpty()) {
                groups.add(new int[] {1, 1}); // a single element: reduce a row of one
            }
            int g = groups.size();
            long[] strides = new long[g];
            long s = 1;
            for (int i = g - 1; i >= 0; i--) {
                strides[i] = s;
                s *= groups.get(i)[0];
            }
            List<Integer> keptIdx = new ArrayList<>();
            List<Integer> redIdx = new ArrayList<>();
            for (int i = 0; i < g; i++) {
                (groups.get(i)[1] == 1 ? redIdx : keptIdx).add(i);
            }
            return new Plan(select(groups, strides, keptIdx), select(groups, strides, redIdx),
                    groups.get(g - 1)[1] == 1);
        }

        private static Groups select(List<int[]> groups, long[] strides, List<Integer> which) {
            int[] ext = new int[which.size()];
            long[] str = new long[which.size()];
            for (int i = 0; i < ext.length; i++) {
                ext[i] = groups.get(which.get(i))[0];
                str[i] = strides[which.get(i)];
            }
            return new Groups(ext, str);
        }
    }

    private static Groups dropLast(Groups g) {
        int n = g.extents().length - 1;
        return new Groups(Arrays.copyOf(g.extents(), n), Arrays.copyOf(g.strides(), n));
    }

    // ---- rows: the innermost reduced group is contiguous

    private static void reduceRows(ReduceOp op, NDArray x, Plan plan, NDArray out, long count) {
        MemorySegment seg = x.segment();
        MemorySegment res = out.segment();
        long base = x.offset();
        long outBase = out.offset();
        Groups kept = plan.kept();
        Groups red = plan.reducedGroups();
        int length = red.extents()[red.extents().length - 1];
        Groups outer = dropLast(red);
        long outputs = kept.count();
        long pieces = (count + PIECE - 1) / PIECE;
        if (pieces == 1) {
            long perTask = Math.max(1, PIECE / count);
            Parallel.forEach(Parallel.taskCount(outputs, perTask), task -> {
                long end = Math.min(outputs, (task + 1) * perTask);
                for (long o = task * perTask; o < end; o++) {
                    double v = rowPiece(op, seg, base + kept.offset(o), outer, length, 0, count);
                    res.setAtIndex(F32, outBase + o, (float) finish(op, v, count));
                }
            });
            return;
        }
        double[] partials = new double[Math.toIntExact(outputs * pieces)];
        Parallel.forEach(partials.length, task -> {
            long o = task / pieces;
            long p = task % pieces;
            partials[task] = rowPiece(op, seg, base + kept.offset(o), outer, length, p * PIECE,
                    Math.min(count, (p + 1) * PIECE));
        });
        for (long o = 0; o < outputs; o++) {
            double acc = partials[(int) (o * pieces)];
            for (long p = 1; p < pieces; p++) {
                acc = combine(op, acc, partials[(int) (o * pieces + p)]);
            }
            res.setAtIndex(F32, outBase + o, (float) finish(op, acc, count));
        }
    }

    private static double rowPiece(ReduceOp op, MemorySegment seg, long base, Groups outer, int length, long s,
                                   long e) {
        return switch (op) {
            case SUM, MEAN -> ReduceKernels.sumRows(seg, base, outer, length, s, e);
            case MAX -> ReduceKernels.extremeRows(true, seg, base, outer, length, s, e);
            case MIN -> ReduceKernels.extremeRows(false, seg, base, outer, length, s, e);
        };
    }

    private static double combine(ReduceOp op, double a, double b) {
        return switch (op) {
            case SUM, MEAN -> a + b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
        };
    }

    private static double finish(ReduceOp op, double v, long count) {
        return op == ReduceOp.MEAN ? v / count : v;
    }

    // ---- columns: the innermost kept group is contiguous

    private static void reduceColumns(ReduceOp op, NDArray x, Plan plan, NDArray out, long count) {
        MemorySegment seg = x.segment();
        MemorySegment res = out.segment();
        long base = x.offset();
        long outBase = out.offset();
        Groups kept = plan.kept();
        Groups red = plan.reducedGroups();
        int width = kept.extents()[kept.extents().length - 1];
        Groups outerKept = dropLast(kept);
        long outers = outerKept.count();
        long outputs = outers * width;
        int block = ReduceKernels.BLOCK;
        int blocksPerOuter = (width + block - 1) / block;
        boolean max = op == ReduceOp.MAX;
        long pieces = 1;
        if (outputs < SMALL_OUTPUT && outputs * count > PIECE) {
            pieces = Math.min(Math.min(MAX_COLUMN_PIECES, count), (outputs * count + PIECE - 1) / PIECE);
        }
        long rowsPerPiece = (count + pieces - 1) / pieces;
        pieces = (count + rowsPerPiece - 1) / rowsPerPiece;
        if (pieces == 1) {
            // A task: one outer index and a run of blocks, about PIECE elements of work.
            int blocksPerTask = (int) Math.max(1, Math.min(blocksPerOuter, PIECE / ((long) block * count)));
            int tasksPerOuter = (blocksPerOuter + blocksPerTask - 1) / blocksPerTask;
            double divisor = op == ReduceOp.MEAN ? count : 1;
            Parallel.forEach(Math.toIntExact(outers * tasksPerOuter), task -> {
                MemorySegment acc = ReduceKernels.accumulator();
                long ko = task / tasksPerOuter;
                int first = (task % tasksPerOuter) * blocksPerTask;
                int end = Math.min(blocksPerOuter, first + blocksPerTask);
                long in = base + outerKept.offset(ko);
                long at = outBase + ko * width;
                for (int bl = first; bl < end; bl++) {
                    int j = bl * block;
                    int n = Math.min(block, width - j);
                    if (op == ReduceOp.SUM || op == ReduceOp.MEAN) {
                        ReduceKernels.sumColumns(seg, in + j, n, red, 0, count, acc);
                        ReduceKernels.storeNarrowed(acc, n, divisor, res, at + j);
                    } else {
                        ReduceKernels.extremeColumns(max, seg, in + j, n, red, 0, count, acc);
                        ReduceKernels.storeExtreme(max, acc, n, res, at + j);
                    }
                }
            });
            return;
        }
        // Few outputs (width < SMALL_OUTPUT <= BLOCK: one block), many rows: pieces of rows whose
        // partial results are combined in order below.
        long piecesFinal = pieces;
        double[] partials = new double[Math.toIntExact(outers * pieces * width)];
        Parallel.forEach(Math.toIntExact(outers * pieces), task -> {
            MemorySegment acc = ReduceKernels.accumulator();
            long ko = task / piecesFinal;
            long p = task % piecesFinal;
            long in = base + outerKept.offset(ko);
            long r0 = p * rowsPerPiece;
            long r1 = Math.min(count, r0 + rowsPerPiece);
            int at = task * width;
            if (op == ReduceOp.SUM || op == ReduceOp.MEAN) {
                ReduceKernels.sumColumns(seg, in, width, red, r0, r1, acc);
                MemorySegment.copy(acc, ValueLayout.JAVA_DOUBLE, 0, partials, at, width);
            } else {
                ReduceKernels.extremeColumns(max, seg, in, width, red, r0, r1, acc);
                for (int j = 0; j < width; j++) {
                    partials[at + j] = ReduceKernels.extremeAt(max, acc, j);
                }
            }
        });
        for (long ko = 0; ko < outers; ko++) {
            for (int j = 0; j < width; j++) {
                int first = (int) (ko * pieces * width + j);
                double acc = partials[first];
                for (long p = 1; p < pieces; p++) {
                    acc = combine(op, acc, partials[(int) (first + p * width)]);
                }
                res.setAtIndex(F32, outBase + ko * width + j,
                        (float) finish(op, acc, count));
            }
        }
    }
}
