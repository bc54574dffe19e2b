package org.layerensembles.core.cpu;

/**
 * How {@link CpuGemm} computes one product of a given shape: the orientation, the register tile,
 * the cache blocking and the split into parallel tasks. Every choice depends only on the sizes,
 * the operands' layout and the caller's {@code parallel} flag, never on the thread count.
 *
 * <p>None of the choices changes a single bit of the result: every element of C is summed over
 * depth blocks of {@link #kc} (a function of K alone) in increasing order, each block by FMA from
 * zero in increasing p and then added to C, whatever the tile, orientation or task.
 *
 * @param swap      compute {@code C^T = B^T A^T} instead (when N is small and M is not: the
 *                  small dimension then takes the tile's rows, which waste less)
 * @param tile      register tile
 * @param kc        depth of a block; at most {@link #KC}, blocks as even as possible
 * @param mc        rows of a row block, a multiple of the tile's rows
 * @param nc        columns of a B panel, a multiple of the tile's columns
 * @param packA     pack A blocks; only when A has no unit stride. Otherwise the micro-kernel
 *                  broadcasts straight from A (row-major: mr sequential streams; transposed:
 *                  mr adjacent values per depth), which measured faster here than packing it
 *                  with scalar copies, for every shape of the benchmark
 * @param bInPlace  read full B micro-panels straight from a row-major B instead of packing them:
 *                  when at most {@link #IN_PLACE_ROW_PANELS} row panels reuse each of them, the
 *                  copy costs more than it saves (measured: M = 16..128 gain 10-40%; M = 1024
 *                  loses 30% in place, its 4 KB row stride thrashing the caches)
 * @param byRows    tasks split the rows of C (else its columns)
 * @param tasks     number of tasks
 * @param span      rows (byRows) or columns of C per task, a multiple of the tile's
 */
record GemmPlan(boolean swap, GemmTile tile, int kc, int mc, int nc, boolean packA, boolean bInPlace,
                boolean byRows, int tasks, int span) {
    /** Largest depth block: a 6 x 64 tile's B micro-panel is 64 KB, streamed from L2. */
    static final int KC = 256;
    /** Largest row block: 252 rows x 256 depths of A (252 KB) stay in L2 beside the B panel. */
    static final int MC = 252;
    /** Largest B panel: 256 x 512 floats (512 KB), reused by every row block. */
    static final int NC = 512;
    /** Most row panels (of a task) for which B is read in place rather than packed. */
    static final int IN_PLACE_ROW_PANELS = 24;
    /** Below this many flops a product runs as one task. */
    private static final long PARALLEL_FLOPS = 1L << 22;
    /** From this many flops a product is split into four tasks rather than two. */
    private static final long FOUR_TASK_FLOPS = 1L << 30;
    /** Extra cost of the swapped orientation, which writes C with scalar stores. */
    private static final double SWAP_PENALTY = 1.15;

    /**
     * The plan for {@code C[m x n] = A[m x k] * B[k x n]}, element (i, p) of A at
     * {@code i*aRs + p*aCs}, likewise B.
     */
    static GemmPlan of(int m, int n, int k, long aRs, long aCs, long bRs, long bCs, boolean parallel) {
        GemmTile normal = bestTile(m, n);
        GemmTile swapped = bestTile(n, m);
        boolean swap = SWAP_PENALTY * work(swapped, n, m) < work(normal, m, n);
        // Swapped, A' = B^T has strides (bCs, bRs) and B' = A^T has (aCs, aRs).
        return swap ? blocking(n, m, k, swapped, true, bCs, bRs, aRs, parallel)
                : blocking(m, n, k, normal, false, aRs, aCs, bCs, parallel);
    }

    /** The tile with the least padded work per efficiency for an m x n product. */
    private static GemmTile bestTile(int m, int n) {
        GemmTile best = null;
        for (GemmTile t : GemmTile.AVAILABLE) {
            if (best == null || work(t, m, n) < work(best, m, n)) {
                best = t;
            }
        }
        return best;
    }

    /** Multiply-adds the tile performs (edges padded to whole tiles), over its efficiency. */
    private static double work(GemmTile t, int m, int n) {
        return (double) roundUp(m, t.rows) * roundUp(n, t.columns) / t.efficiency;
    }

    private static GemmPlan blocking(int m, int n, int k, GemmTile tile, boolean swap, long aRs, long aCs, long bCs,
                                     boolean parallel) {
        int kc = ceilDiv(k, ceilDiv(k, KC));
        int mc = MC / tile.rows * tile.rows;
        int nc = Math.max(1, NC / tile.columns) * tile.columns;
        boolean packA = aRs != 1 && aCs != 1;
        long flops = 2L * m * n * k;
        int wanted = !parallel || flops < PARALLEL_FLOPS ? 1 : flops < FOUR_TASK_FLOPS ? 2 : 4;
        int rowPanels = ceilDiv(m, tile.rows);
        int colPanels = ceilDiv(n, tile.columns);
        int rowSpan = ceilDiv(rowPanels, wanted) * tile.rows;
        int colSpan = ceilDiv(colPanels, wanted) * tile.columns;
        int rowTasks = ceilDiv(m, rowSpan);
        int colTasks = ceilDiv(n, colSpan);
        // Take the split that gives the tasks wanted; between equals, split the columns (each
        // task then reads only its part of B) unless that would pack A once more per task.
        boolean byRows = rowTasks > colTasks || (rowTasks == colTasks && packA && rowTasks > 1);
        int taskRowPanels = byRows ? ceilDiv(rowSpan, tile.rows) : rowPanels;
        boolean bInPlace = bCs == 1 && taskRowPanels <= IN_PLACE_ROW_PANELS;
        return new GemmPlan(swap, tile, kc, mc, nc, packA, bInPlace, byRows, byRows ? rowTasks : colTasks,
                byRows ? rowSpan : colSpan);
    }

    static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    private static int roundUp(int x, int multiple) {
        return ceilDiv(x, multiple) * multiple;
    }
}
