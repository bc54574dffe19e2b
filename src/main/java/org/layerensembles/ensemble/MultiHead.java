package org.layerensembles.ensemble;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.core.SeededRandom;

/**
 * The multi-head baseline (MH, METHOD.md §7): M heads, all on one tapped layer (usually the last
 * decoder block), trained with the sum of their losses and combined like a Layer Ensemble's.
 * Each head is a {@link Head} (conv 3x3 + bias to the classes, then bilinear align_corners
 * resampling to the input size when the layer is smaller); head j draws its initial weights from
 * {@code rng.fork(j)}, so the heads start apart and differ only by their initialisation.
 *
 * <p>Heads are named {@code layer#0} ... {@code layer#(M-1)}. The module tree, the sizing pass, the
 * capture and its errors are those of {@link LayerEnsemble}: children {@code backbone} and
 * {@code heads.0} ...; the backbone's own output is ignored.
 */
public final class MultiHead extends TappedHeads {
    /** The number of heads when none is given. */
    public static final int DEFAULT_HEADS = 5;
    private static final String OWNER = "MultiHead";

    /** {@link #DEFAULT_HEADS} heads on {@code layer}. */
    public MultiHead(Module backbone, String layer, int classes, int[] inputShape, SeededRandom rng) {
        this(backbone, layer, classes, inputShape, DEFAULT_HEADS, rng);
    }

    /**
     * @param backbone   any module taking images [N, C, H, W]
     * @param layer      dotted path of the one tapped module
     * @param classes    logits per pixel (>= 2)
     * @param inputShape a sample input shape [N, C, H, W] for the sizing pass
     * @param heads      M >= 1
     * @param rng        head j's weights come from {@code rng.fork(j)}
     */
    public MultiHead(Module backbone, String layer, int classes, int[] inputShape, int heads, SeededRandom rng) {
        if (heads < 1) {
            throw new IllegalArgumentException(OWNER + ": the number of heads must be >= 1, got " + heads);
        }
        Objects.requireNonNull(layer, OWNER + ": layer is null");
        List<String> names = new ArrayList<>();
        for (int j = 0; j < heads; j++) {
            names.add(layer + "#" + j);
        }
        super(OWNER, Taps.named(OWNER, backbone, List.of(layer), inputShape), new int[heads], names, classes, rng);
    }

    @Override
    public String method() {
        return "MH";
    }

    /** The tapped layer's path. */
    public String layer() {
        return taps().paths().get(0);
    }

    public List<String> headNames() {
        return names();
    }

    @Override
    public String toString() {
        return "MultiHead(" + headModules().size() + " heads on " + layer() + ", " + classes() + " classes)";
    }
}
