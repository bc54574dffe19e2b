/**
 * Segmentation data: the {@link org.layerensembles.data.Sample} and
 * {@link org.layerensembles.data.SegmentationDataset} types, a seeded synthetic breast-mass-like
 * dataset ({@link org.layerensembles.data.SyntheticMasses}), PNG folders in the METHOD.md §8
 * layout ({@link org.layerensembles.data.PngFolder}), augmentation
 * ({@link org.layerensembles.data.Augment}) and batching with seeded epoch orders and splits
 * ({@link org.layerensembles.data.Batches}).
 *
 * <p>Conventions: images are float32 [C, H, W] z-normalised per image, masks int32 [H, W] of
 * class indices; datasets keep Java arrays (or regenerate) and every {@code get} returns new
 * arrays owned by the current {@link org.layerensembles.core.memory.MemoryScope}, so a
 * training step's scope frees them; everything random takes a
 * {@link org.layerensembles.core.SeededRandom} or a seed and is reproducible bit for bit.
 */
package org.layerensembles.data;
