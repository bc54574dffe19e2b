package org.layerensembles.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.memory.MemoryScope;

/**
 * Turning dataset samples into batches, and the seeded index orders around them: a shuffled
 * order per epoch, fixed-size chunks of it, and a train/validation split.
 */
public final class Batches {
    private Batches() {
    }

    /**
     * A batch: {@code images} float32 [N, C, H, W], {@code masks} int32 [N, H, W] (both
     * {@link Tensor#constant} tensors), the samples' {@code names} and dataset {@code indices}.
     */
    public record Batch(Tensor images, Tensor masks, List<String> names, int[] indices) {
        public Batch {
            names = List.copyOf(names);
            indices = indices.clone();
        }

        public int size() {
            return names.size();
        }

        @Override
        public int[] indices() {
            return indices.clone();
        }
    }

    /** The samples at {@code indices} stacked as one batch; see {@link #of(SegmentationDataset, int[], Augment, SeededRandom)}. */
    public static Batch of(SegmentationDataset dataset, int[] indices) {
        return of(dataset, indices, null, null);
    }

    /**
     * The samples at {@code indices}, each augmented (when {@code augment} is not null) with the
     * generator {@code random.fork(index)} — so a sample's augmentation depends on the epoch's
     * generator and its index only, not on the batch it falls in — and stacked. The batch's
     * arrays are owned by the current {@link MemoryScope} (garbage-collected when none is
     * open); each sample's own arrays live in a short inner scope and are freed at once.
     *
     * @throws IllegalArgumentException when {@code indices} is empty or samples differ in shape
     */
    @SuppressWarnings("try") // the inner scope is used for its side effect: owning the temporaries
    public static Batch of(SegmentationDataset dataset, int[] indices, Augment augment, SeededRandom random) {
        if (indices.length == 0) {
            throw new IllegalArgumentException("a batch needs at least one index");
        }
        if (augment != null && random == null) {
            throw new IllegalArgumentException("augmentation needs a SeededRandom");
        }
        int n = indices.length;
        float[] images = null;
        int[] masks = null;
        int[] shape = null;
        List<String> names = new ArrayList<>(n);
        for (int b = 0; b < n; b++) {
            try (MemoryScope ignored = MemoryScope.open()) {
                Sample s = dataset.get(indices[b]);
                if (augment != null) {
                    s = augment.apply(s, random.fork(indices[b]));
                }
                NDArray image = s.image();
                NDArray mask = s.mask();
                int[] is = image.shape();
                if (image.dtype() != DType.FLOAT32 || is.length != 3 || mask.dtype() != DType.INT32
                        || !Arrays.equals(mask.shape(), new int[] {is[1], is[2]})) {
                    throw new IllegalArgumentException("sample " + s.name() + " (index " + indices[b]
                            + "): expected image float32 [C, H, W] and mask int32 [H, W], got " + image + " and " + mask);
                }
                if (shape == null) {
                    shape = is;
                    images = new float[Math.multiplyExact(n, is[0] * is[1] * is[2])];
                    masks = new int[Math.multiplyExact(n, is[1] * is[2])];
                } else if (!Arrays.equals(shape, is)) {
                    throw new IllegalArgumentException("sample " + s.name() + " (index " + indices[b] + ") has image shape "
                            + Arrays.toString(is) + " but the batch's first sample has " + Arrays.toString(shape));
                }
                float[] pi = image.toFloatArray();
                int[] pm = mask.toIntArray();
                System.arraycopy(pi, 0, images, b * pi.length, pi.length);
                System.arraycopy(pm, 0, masks, b * pm.length, pm.length);
                names.add(s.name());
            }
        }
        Tensor imageTensor = Tensor.constant(NDArrays.of(images, n, shape[0], shape[1], shape[2]));
        Tensor maskTensor = Tensor.constant(NDArrays.of(masks, n, shape[1], shape[2]));
        return new Batch(imageTensor, maskTensor, names, indices);
    }

    /** A permutation of {@code indices} (Fisher-Yates with {@code indices.length} draws from {@code random}). */
    public static int[] shuffle(int[] indices, SeededRandom random) {
        int[] out = indices.clone();
        long first = random.reserve(out.length);
        for (int i = out.length - 1; i > 0; i--) {
            int j = (int) (SeededRandom.uniform(random.seed(), first + i) * (i + 1));
            int t = out[i];
            out[i] = out[j];
            out[j] = t;
        }
        return out;
    }

    /**
     * The order of {@code 0..n-1} for one epoch: {@link #shuffle} with {@code random.fork(epoch)},
     * so epoch {@code e}'s order depends only on the generator's seed and {@code e}.
     */
    public static int[] epochOrder(int n, SeededRandom random, int epoch) {
        int[] all = new int[n];
        Arrays.setAll(all, i -> i);
        return shuffle(all, random.fork(epoch));
    }

    /** {@code order} cut into consecutive chunks of {@code batchSize}; the last is shorter unless dropped. */
    public static List<int[]> chunks(int[] order, int batchSize, boolean dropLast) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        List<int[]> out = new ArrayList<>();
        for (int from = 0; from < order.length; from += batchSize) {
            int to = Math.min(order.length, from + batchSize);
            if (to - from < batchSize && dropLast) {
                break;
            }
            out.add(Arrays.copyOfRange(order, from, to));
        }
        return out;
    }

    /** Disjoint train and validation indices, each in ascending order. */
    public record Split(int[] train, int[] validation) {
        public Split {
            train = train.clone();
            validation = validation.clone();
        }

        @Override
        public int[] train() {
            return train.clone();
        }

        @Override
        public int[] validation() {
            return validation.clone();
        }
    }

    /**
     * Splits {@code 0..n-1} at random: {@code round(n * validationFraction)} indices go to
     * validation — at least 1 when the fraction is positive and {@code n >= 2}, at most
     * {@code n - 1} — chosen as the first ones of a permutation drawn from
     * {@code new SeededRandom(seed)}; the rest to training (so training is never empty when
     * {@code n >= 1}). Both lists are sorted.
     *
     * @param validationFraction in [0, 1)
     */
    public static Split split(int n, double validationFraction, long seed) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validationFraction must be in [0, 1), got " + validationFraction);
        }
        int v = Math.clamp(Math.round(n * validationFraction), validationFraction > 0 && n >= 2 ? 1 : 0,
                Math.max(0, n - 1));
        int[] all = new int[n];
        Arrays.setAll(all, i -> i);
        int[] perm = shuffle(all, new SeededRandom(seed));
        int[] validation = Arrays.copyOfRange(perm, 0, v);
        int[] train = Arrays.copyOfRange(perm, v, n);
        Arrays.sort(validation);
        Arrays.sort(train);
        return new Split(train, validation);
    }
}
