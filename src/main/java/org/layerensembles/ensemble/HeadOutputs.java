package org.layerensembles.ensemble;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.layerensembles.autograd.Tensor;

/**
 * The ordered outputs of a Layer Ensemble (shallow to deep), a multi-head model, a deep ensemble
 * or a plain network (one head): what training, combination and evaluation all take.
 */
public final class HeadOutputs implements Iterable<HeadOutput> {
    private final List<HeadOutput> heads;

    public HeadOutputs(List<HeadOutput> heads) {
        if (heads.isEmpty()) {
            throw new IllegalArgumentException("a model must produce at least one head");
        }
        int[] shape = heads.get(0).logits().shape();
        for (HeadOutput h : heads) {
            if (!java.util.Arrays.equals(shape, h.logits().shape())) {
                throw new IllegalArgumentException("head '" + h.layerName() + "' has logits "
                        + java.util.Arrays.toString(h.logits().shape()) + " but head '" + heads.get(0).layerName()
                        + "' has " + java.util.Arrays.toString(shape));
            }
        }
        this.heads = List.copyOf(heads);
    }

    public int size() {
        return heads.size();
    }

    public HeadOutput get(int i) {
        return heads.get(i);
    }

    public Tensor logits(int i) {
        return heads.get(i).logits();
    }

    public List<String> layerNames() {
        List<String> names = new ArrayList<>();
        heads.forEach(h -> names.add(h.layerName()));
        return names;
    }

    /** The heads after skipping the first {@code skip} (shallowest), as METHOD.md §4 does. */
    public HeadOutputs skip(int skip) {
        if (skip < 0 || skip >= heads.size()) {
            throw new IllegalArgumentException("cannot skip " + skip + " of " + heads.size() + " heads: at least one must remain");
        }
        return new HeadOutputs(heads.subList(skip, heads.size()));
    }

    /** Logits shape shared by every head: [N, classes, H, W]. */
    public int[] shape() {
        return heads.get(0).logits().shape();
    }

    @Override
    public Iterator<HeadOutput> iterator() {
        return heads.iterator();
    }
}
