package org.layerensembles.data;

/** An indexed collection of samples of one image size and channel count. */
public interface SegmentationDataset {
    int size();

    Sample get(int index);

    int classes();
}
