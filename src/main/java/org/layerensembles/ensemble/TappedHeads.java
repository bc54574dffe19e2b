package org.layerensembles.ensemble;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.Shapes;

/**
 * Heads on tapped layers of a backbone, and the module tree {@code backbone} + {@code heads.j}:
 * what {@link LayerEnsemble} (one head per tap) and {@link MultiHead} (several heads on one tap)
 * have in common, as their shared base. Head j reads tap {@code tapOf[j]} and draws its initial
 * weights from {@code rng.fork(j)}.
 */
abstract sealed class TappedHeads implements SegmentationModel permits LayerEnsemble, MultiHead {
    private final String owner;
    private final Taps taps;
    private final List<Head> heads;
    private final int[] tapOf;
    private final List<String> names;
    private final int classes;
    private final EnsembleModule root;

    TappedHeads(String owner, Taps taps, int[] tapOf, List<String> names, int classes, SeededRandom rng) {
        checkClasses(owner, classes);
        Objects.requireNonNull(rng, () -> owner + ": random generator is null");
        this.owner = owner;
        this.taps = taps;
        this.tapOf = tapOf.clone();
        this.names = List.copyOf(names);
        this.classes = classes;
        EnsembleModule headList = new EnsembleModule(owner + " heads");
        List<Head> built = new ArrayList<>();
        for (int j = 0; j < tapOf.length; j++) {
            Head h = new Head(taps.channels(tapOf[j]), classes, rng.fork(j));
            built.add(h);
            headList.add(Integer.toString(j), h);
        }
        this.heads = List.copyOf(built);
        this.root = new EnsembleModule(owner).add("backbone", taps.backbone()).add("heads", headList);
    }

    static void checkClasses(String owner, int classes) {
        if (classes < 2) {
            throw new IllegalArgumentException(owner + ": classes must be >= 2 (a binary task has two: background "
                    + "and foreground, combined with softmax), got " + classes);
        }
    }

    @Override
    public final HeadOutputs heads(Tensor images) {
        taps.checkImages(images);
        List<Tensor> features = taps.capture(images);
        int h = images.size(2);
        int w = images.size(3);
        List<HeadOutput> out = new ArrayList<>(heads.size());
        for (int j = 0; j < heads.size(); j++) {
            Tensor f = features.get(tapOf[j]);
            Head head = heads.get(j);
            if (f.size(1) != head.inChannels() || f.size(0) != images.size(0)) {
                throw new IllegalStateException(owner + ": layer '" + taps.paths().get(tapOf[j]) + "' gave "
                        + Shapes.str(f.shape()) + " for images " + Shapes.str(images.shape()) + ", but its head was "
                        + "built for [" + images.size(0) + ", " + head.inChannels() + ", h, w] by the sizing pass");
            }
            out.add(new HeadOutput(names.get(j), head.logits(f, h, w)));
        }
        return new HeadOutputs(out);
    }

    @Override
    public final Module module() {
        return root;
    }

    @Override
    public final int classes() {
        return classes;
    }

    /** The heads, in order. */
    public final List<Head> headModules() {
        return heads;
    }

    public final Module backbone() {
        return taps.backbone();
    }

    final Taps taps() {
        return taps;
    }

    /** The heads' names, in order. */
    final List<String> names() {
        return names;
    }
}
