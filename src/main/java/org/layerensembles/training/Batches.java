package org.layerensembles.training;

import java.util.Arrays;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.data.Sample;
import org.layerensembles.data.SegmentationDataset;

/**
 * Stacks samples into a batch: images float32 [N, C, H, W] and masks int32 [N, H, W], in the
 * current memory scope (a training step's, so they are freed with it).
 */
final class Batches {
    private Batches() {
    }

    /** A stacked batch; {@code indices} are the dataset indices it holds, in order. */
    record Batch(Tensor images, Tensor masks, int[] indices) {
        int size() {
            return indices.length;
        }
    }

    /**
     * Stacks {@code dataset.get(i)} for i in {@code order[from, to)}.
     *
     * @throws IllegalArgumentException when a sample's image is not float32 [C, H, W], its mask not
     *                                  int32 [H, W] of the same H and W, or the samples differ in shape
     */
    static Batch stack(SegmentationDataset dataset, int[] order, int from, int to) {
        int n = to - from;
        if (n < 1) {
            throw new IllegalArgumentException("empty batch [" + from + ", " + to + ")");
        }
        int[] indices = Arrays.copyOfRange(order, from, to);
        NDArray images = null;
        NDArray masks = null;
        int[] imageShape = null;
        for (int i = 0; i < n; i++) {
            Sample s = dataset.get(indices[i]);
            check(s, indices[i]);
            if (images == null) {
                imageShape = s.image().shape();
                images = NDArrays.empty(DType.FLOAT32, n, imageShape[0], imageShape[1], imageShape[2]);
                masks = NDArrays.empty(DType.INT32, n, imageShape[1], imageShape[2]);
            } else if (!Arrays.equals(imageShape, s.image().shape())) {
                throw new IllegalArgumentException("sample " + indices[i] + " ('" + s.name() + "') has image "
                        + Arrays.toString(s.image().shape()) + " but sample " + indices[0] + " has "
                        + Arrays.toString(imageShape) + ": a batch needs samples of one shape");
            }
            Autograd.backend().copy(s.image(), images.select(0, i));
            Autograd.backend().copy(s.mask(), masks.select(0, i));
        }
        return new Batch(Tensor.constant(images), Tensor.constant(masks), indices);
    }

    private static void check(Sample s, int index) {
        NDArray image = s.image();
        NDArray mask = s.mask();
        if (image.dtype() != DType.FLOAT32 || image.rank() != 3) {
            throw new IllegalArgumentException("sample " + index + " ('" + s.name() + "'): image must be float32 [C, H, W], got "
                    + image.dtype() + " " + Arrays.toString(image.shape()));
        }
        if (mask.dtype() != DType.INT32 || mask.rank() != 2 || mask.size(0) != image.size(1)
                || mask.size(1) != image.size(2)) {
            throw new IllegalArgumentException("sample " + index + " ('" + s.name() + "'): mask must be int32 [H, W] = ["
                    + image.size(1) + ", " + image.size(2) + "], got " + mask.dtype() + " " + Arrays.toString(mask.shape()));
        }
    }
}
