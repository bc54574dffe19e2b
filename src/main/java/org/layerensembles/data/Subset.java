package org.layerensembles.data;

/** A view of some samples of another dataset, by index (e.g. the two sides of a train/validation split). */
public final class Subset implements SegmentationDataset {
    private final SegmentationDataset source;
    private final int[] indices;

    public Subset(SegmentationDataset source, int[] indices) {
        for (int i : indices) {
            if (i < 0 || i >= source.size()) {
                throw new IndexOutOfBoundsException("subset index " + i + " is outside a dataset of " + source.size());
            }
        }
        this.source = source;
        this.indices = indices.clone();
    }

    @Override
    public int size() {
        return indices.length;
    }

    @Override
    public Sample get(int index) {
        return source.get(indices[index]);
    }

    @Override
    public int classes() {
        return source.classes();
    }
}
