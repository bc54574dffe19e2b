package org.layerensembles.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.memory.MemoryScope;

class BatchesTest {
    private final SyntheticMasses masses = new SyntheticMasses(SyntheticMasses.Config.of(10, 5).withSize(32));

    @Test
    void aBatchStacksSamplesWithTheRightShapesTypesAndContents() {
        int[] idx = {3, 1, 4};
        Batches.Batch b = Batches.of(masses, idx);
        assertEquals(3, b.size());
        assertArrayEquals(new int[] {3, 1, 32, 32}, b.images().shape());
        assertEquals(DType.FLOAT32, b.images().dtype());
        assertArrayEquals(new int[] {3, 32, 32}, b.masks().shape());
        assertEquals(DType.INT32, b.masks().dtype());
        assertFalse(b.images().requiresGrad());
        assertFalse(b.masks().requiresGrad());
        assertEquals(List.of("mass_00003", "mass_00001", "mass_00004"), b.names());
        assertArrayEquals(idx, b.indices());
        float[] images = b.images().data().toFloatArray();
        int[] masks = b.masks().data().toIntArray();
        for (int k = 0; k < 3; k++) {
            Sample s = masses.get(idx[k]);
            assertArrayEquals(s.image().toFloatArray(), Arrays.copyOfRange(images, k * 1024, (k + 1) * 1024));
            assertArrayEquals(s.mask().toIntArray(), Arrays.copyOfRange(masks, k * 1024, (k + 1) * 1024));
        }
    }

    @Test
    void theBatchLivesInTheCurrentScopeAndSampleTemporariesDoNot() {
        try (MemoryScope step = MemoryScope.open()) {
            Batches.Batch b = Batches.of(masses, new int[] {0, 1, 2, 3, 4, 5, 6, 7},
                    new Augment(Augment.Config.defaults()), new SeededRandom(1));
            assertSame(step, b.images().data().allocation().owner());
            assertSame(step, b.masks().data().allocation().owner());
            long batchBytes = 8L * 32 * 32 * 4 * 2;
            assertTrue(step.ownedBytes() <= 2 * batchBytes, "only the batch is owned: " + step.ownedBytes());
        }
    }

    @Test
    void augmentedBatchesAreDeterministicAndASampleDoesNotDependOnItsBatch() {
        Augment aug = new Augment(Augment.Config.defaults());
        Batches.Batch a = Batches.of(masses, new int[] {2, 5}, aug, new SeededRandom(9));
        Batches.Batch again = Batches.of(masses, new int[] {2, 5}, aug, new SeededRandom(9));
        Batches.Batch alone = Batches.of(masses, new int[] {5}, aug, new SeededRandom(9));
        Batches.Batch plain = Batches.of(masses, new int[] {2, 5});
        float[] ai = a.images().data().toFloatArray();
        assertArrayEquals(ai, again.images().data().toFloatArray());
        assertArrayEquals(a.masks().data().toIntArray(), again.masks().data().toIntArray());
        assertArrayEquals(Arrays.copyOfRange(ai, 1024, 2048), alone.images().data().toFloatArray());
        assertArrayEquals(Arrays.copyOfRange(a.masks().data().toIntArray(), 1024, 2048), alone.masks().data().toIntArray());
        assertFalse(Arrays.equals(ai, plain.images().data().toFloatArray()), "augmentation changed something");
        Batches.Batch otherEpoch = Batches.of(masses, new int[] {2, 5}, aug, new SeededRandom(10));
        assertFalse(Arrays.equals(ai, otherEpoch.images().data().toFloatArray()));
    }

    @Test
    void badBatchesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Batches.of(masses, new int[0]));
        assertThrows(IllegalArgumentException.class,
                () -> Batches.of(masses, new int[] {0}, new Augment(Augment.Config.defaults()), null));
        SegmentationDataset mixed = new SegmentationDataset() {
            @Override
            public int size() {
                return 2;
            }

            @Override
            public Sample get(int index) {
                int n = 4 + index;
                return new Sample("m" + index, NDArrays.zeros(1, n, n), NDArrays.zeros(DType.INT32, n, n), Double.NaN);
            }

            @Override
            public int classes() {
                return 2;
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Batches.of(mixed, new int[] {0, 1}));
        assertTrue(e.getMessage().contains("m1"), e.getMessage());
    }

    @Test
    void epochOrdersArePermutationsFixedBySeedAndEpoch() {
        SeededRandom rng = new SeededRandom(3);
        int[] e0 = Batches.epochOrder(50, rng, 0);
        int[] e0again = Batches.epochOrder(50, new SeededRandom(3), 0);
        int[] e1 = Batches.epochOrder(50, rng, 1);
        assertArrayEquals(e0, e0again);
        assertFalse(Arrays.equals(e0, e1));
        int[] sorted = e0.clone();
        Arrays.sort(sorted);
        int[] all = new int[50];
        Arrays.setAll(all, i -> i);
        assertArrayEquals(all, sorted);
        assertFalse(Arrays.equals(all, e0), "shuffled");
        // Roughly uniform: over many shuffles of 4 items, each item is first about 1/4 of the time.
        int[] first = new int[4];
        for (int epoch = 0; epoch < 4000; epoch++) {
            first[Batches.epochOrder(4, rng, epoch)[0]]++;
        }
        for (int c : first) {
            assertEquals(1000, c, 100);
        }
    }

    @Test
    void chunksCutAnOrderIntoBatches() {
        int[] order = {9, 8, 7, 6, 5, 4, 3};
        List<int[]> keep = Batches.chunks(order, 3, false);
        assertEquals(3, keep.size());
        assertArrayEquals(new int[] {9, 8, 7}, keep.get(0));
        assertArrayEquals(new int[] {3}, keep.get(2));
        assertEquals(2, Batches.chunks(order, 3, true).size());
        assertEquals(0, Batches.chunks(new int[0], 3, false).size());
        assertThrows(IllegalArgumentException.class, () -> Batches.chunks(order, 0, false));
    }

    @Test
    void splitsHaveTheRequestedSizesAreDisjointAndDeterministic() {
        Batches.Split s = Batches.split(100, 0.2, 7);
        assertEquals(20, s.validation().length);
        assertEquals(80, s.train().length);
        int[] union = new int[100];
        System.arraycopy(s.train(), 0, union, 0, 80);
        System.arraycopy(s.validation(), 0, union, 80, 20);
        Arrays.sort(union);
        int[] all = new int[100];
        Arrays.setAll(all, i -> i);
        assertArrayEquals(all, union, "disjoint and complete");
        int[] sortedTrain = s.train().clone();
        Arrays.sort(sortedTrain);
        assertArrayEquals(sortedTrain, s.train(), "ascending");
        Batches.Split again = Batches.split(100, 0.2, 7);
        assertArrayEquals(s.train(), again.train());
        assertArrayEquals(s.validation(), again.validation());
        assertFalse(Arrays.equals(s.validation(), Batches.split(100, 0.2, 8).validation()));

        assertEquals(1, Batches.split(10, 0.01, 1).validation().length, "a positive fraction keeps at least one");
        assertEquals(9, Batches.split(10, 0.99, 1).validation().length, "training keeps at least one");
        assertEquals(0, Batches.split(10, 0, 1).validation().length);
        assertEquals(0, Batches.split(1, 0.5, 1).validation().length);
        assertEquals(1, Batches.split(1, 0.5, 1).train().length);
        assertEquals(0, Batches.split(0, 0.5, 1).train().length);
        assertThrows(IllegalArgumentException.class, () -> Batches.split(10, 1.0, 1));
        assertThrows(IllegalArgumentException.class, () -> Batches.split(10, -0.1, 1));
    }
}
