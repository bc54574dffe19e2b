package org.layerensembles.metrics;

/**
 * Overlap between binary masks: the Dice similarity coefficient DSC = 2|A∩B| / (|A| + |B|)
 * (METHOD.md §6), and the helpers that turn label maps into masks.
 *
 * <p>Multi-class evaluation uses {@link #classMask} per class and {@link #foreground} for the
 * foreground union ("all structures combined").
 */
public final class Overlap {
    private Overlap() {
    }

    /**
     * The Dice similarity coefficient of two masks of the same length.
     *
     * @param emptyIsOne what two empty masks score: {@code true} gives 1.0 (this project's
     *                   default: two empty masks agree perfectly), {@code false} gives 0.0 (what
     *                   the original code returns; use it to reproduce its numbers)
     * @return 2|a∩b| / (|a| + |b|), in [0, 1]
     */
    public static double dice(boolean[] a, boolean[] b, boolean emptyIsOne) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("dice: masks of " + a.length + " and " + b.length + " elements");
        }
        long sizeA = 0;
        long sizeB = 0;
        long both = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i]) {
                sizeA++;
                if (b[i]) {
                    both++;
                }
            }
            if (b[i]) {
                sizeB++;
            }
        }
        return dice(both, sizeA, sizeB, emptyIsOne);
    }

    /** {@link #dice(boolean[], boolean[], boolean)} with the project default (both empty: 1.0). */
    public static double dice(boolean[] a, boolean[] b) {
        return dice(a, b, true);
    }

    /**
     * Dice from counts: {@code 2 intersection / (sizeA + sizeB)}; both sizes 0 gives 1.0 when
     * {@code emptyIsOne}, else 0.0. For callers that accumulate counts themselves (e.g. over the
     * slices of a volume).
     */
    public static double dice(long intersection, long sizeA, long sizeB, boolean emptyIsOne) {
        if (intersection < 0 || sizeA < 0 || sizeB < 0 || intersection > Math.min(sizeA, sizeB)) {
            throw new IllegalArgumentException("dice: inconsistent counts |A∩B|=" + intersection
                    + " |A|=" + sizeA + " |B|=" + sizeB);
        }
        long denominator = sizeA + sizeB;
        if (denominator == 0) {
            return emptyIsOne ? 1.0 : 0.0;
        }
        return 2.0 * intersection / denominator;
    }

    /** The foreground mask of a label map: {@code label > 0} (all structures combined). */
    public static boolean[] foreground(int[] labels) {
        boolean[] out = new boolean[labels.length];
        for (int i = 0; i < labels.length; i++) {
            out[i] = labels[i] > 0;
        }
        return out;
    }

    /** The mask of one class of a label map: {@code label == c}. */
    public static boolean[] classMask(int[] labels, int c) {
        boolean[] out = new boolean[labels.length];
        for (int i = 0; i < labels.length; i++) {
            out[i] = labels[i] == c;
        }
        return out;
    }
}
