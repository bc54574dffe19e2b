package org.layerensembles.ensemble;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.core.SeededRandom;

/**
 * Layer Ensembles (METHOD.md §1-2) on any backbone: one {@link Head} on each tapped intermediate
 * layer, all evaluated in one forward pass, ordered shallow to deep.
 *
 * <pre>{@code
 * Module unet = ...;                                  // any module; nothing LE-specific in it
 * LayerEnsemble le = new LayerEnsemble(unet, List.of("enc1", "enc2", "dec1", "dec2"),
 *         2, new int[] {1, 1, 128, 128}, new SeededRandom(7));
 * HeadOutputs heads = le.heads(images);               // 4 heads, each [N, 2, H, W]
 * LayerEnsemble byName = new LayerEnsemble(net, LayerEnsemble.pathEndsWith(".relu"), 2, shape, rng);
 * }</pre>
 *
 * <p><b>Taps.</b> By a list of dotted paths (heads in the list's order, which should be shallow to
 * deep), or by a predicate on the path (heads in {@link Module#namedModules()} order: registration
 * order, parents before children; when that differs from the order the layers run in, give the
 * list instead). The backbone itself (path "") is never a tap. Outputs are captured with forward
 * hooks registered for the length of each {@link #heads} call; the errors (unknown layer, a
 * predicate matching nothing, a tap that does not run, runs twice in one pass, or outputs
 * something other than [N, C, H, W]) are described in {@code Taps}: a tapped module must run
 * exactly once per pass.
 *
 * <p><b>Sizing.</b> The constructor runs one forward pass on zeros of {@code inputShape}
 * ([1, C, H, W] is enough) without a graph, in a temporary memory scope, in eval mode (BatchNorm's
 * running statistics are left as they were, and every module's train/eval flag is restored), to
 * learn each tap's channels. The heads' parameters are then created in the memory scope current
 * at construction (a long-lived one while building for training, or none: garbage-collected).
 * Later inputs may have another height and width: each head resamples to the size of the images
 * it is given (no resampling when its tap is already that size).
 *
 * <p><b>Output.</b> {@link #heads} runs the backbone's forward (its own final output is computed
 * and ignored: in LE mode the backbone's output layer is not an output, and its parameters get no
 * gradient, which the optimizers skip) and returns one {@link HeadOutput} per tap, named by the
 * tap's path, logits [N, classes, H, W]. Head j draws its initial weights from
 * {@code rng.fork(j)}.
 *
 * <p><b>Module tree.</b> {@link #module()} holds the backbone as child {@code backbone} and the
 * heads as {@code heads.0}, {@code heads.1}, ... (so parameter names are e.g.
 * {@code backbone.enc1.conv.weight} and {@code heads.0.conv.weight}); its {@code forward} throws,
 * use {@link #heads}. Not for concurrent training; concurrent eval-mode inference is fine.
 */
public final class LayerEnsemble extends TappedHeads {
    private static final String OWNER = "LayerEnsemble";

    /**
     * Heads on the layers at the given dotted paths, in that order (shallow to deep).
     *
     * @param backbone   any module taking images [N, C, H, W]
     * @param layers     dotted paths of the tapped modules, as {@link Module#namedModules()} names them
     * @param classes    logits per pixel (>= 2; binary tasks use 2)
     * @param inputShape a sample input shape [N, C, H, W] for the sizing pass
     * @param rng        head j's weights come from {@code rng.fork(j)}
     */
    public LayerEnsemble(Module backbone, List<String> layers, int classes, int[] inputShape, SeededRandom rng) {
        this(Taps.named(OWNER, backbone, layers, inputShape), classes, rng);
    }

    /**
     * Heads on every layer whose dotted path the predicate accepts, in {@link Module#namedModules()}
     * order; e.g. {@code pathEndsWith(".relu")}.
     */
    public LayerEnsemble(Module backbone, Predicate<String> layers, int classes, int[] inputShape,
                         SeededRandom rng) {
        this(Taps.matching(OWNER, backbone, layers, inputShape), classes, rng);
    }

    private LayerEnsemble(Taps taps, int classes, SeededRandom rng) {
        super(OWNER, taps, IntStream.range(0, taps.size()).toArray(), taps.paths(), classes, rng);
    }

    /** Accepts paths ending with {@code suffix} (e.g. ".relu", as the original matched ReLU layers). */
    public static Predicate<String> pathEndsWith(String suffix) {
        Objects.requireNonNull(suffix, "suffix");
        return path -> path.endsWith(suffix);
    }

    /** Accepts paths containing {@code part} (the original code's rule, with ".relu"). */
    public static Predicate<String> pathContains(String part) {
        Objects.requireNonNull(part, "part");
        return path -> path.contains(part);
    }

    @Override
    public String method() {
        return "LE";
    }

    /** The tapped layers' paths, shallow to deep: the heads' names. */
    public List<String> layerNames() {
        return names();
    }

    /** Channels of each tap, as the sizing pass found them. */
    public int[] tapChannels() {
        return IntStream.range(0, taps().size()).map(taps()::channels).toArray();
    }

    /** Each tap's output shape [N, C, h, w] in the sizing pass (on {@link #sizingShape()}). */
    public List<int[]> tapShapes() {
        return taps().sizedShapes();
    }

    /** The input shape the sizing pass used. */
    public int[] sizingShape() {
        return taps().sizingShape();
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        int[] c = tapChannels();
        for (int i = 0; i < c.length; i++) {
            parts.add(layerNames().get(i) + "(" + c[i] + ")");
        }
        return "LayerEnsemble(" + classes() + " classes, heads on " + parts + ")";
    }
}
