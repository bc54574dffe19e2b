package org.layerensembles.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.loss.Losses;
import org.layerensembles.autograd.ops.ElementwiseOps;
import org.layerensembles.autograd.optim.Adam;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.memory.MemoryPool;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.ensemble.HeadOutputs;
import org.layerensembles.ensemble.LayerEnsemble;
import org.layerensembles.models.UNet;
import org.layerensembles.models.UNetConfig;

/**
 * A training step in steady state allocates no native memory and little heap (DESIGN.md
 * decision 3): unet-small with Layer Ensembles heads (9 taps), batch 2 of 1x16x16, the step the
 * Trainer and the benchmark run (forward, per-head cross-entropy summed, backward, Adam, zeroGrad,
 * all in one memory scope). After two warm-up steps (the first creates gradients and Adam's
 * moments in the long-lived scope), the memory pool's slab count and reserved bytes must not
 * change over any further step, and once the JIT has compiled the kernels the heap allocated
 * per step, by the calling thread and the worker pool's threads together
 * ({@code com.sun.management.ThreadMXBean}), is under {@link #HEAP_BYTES_PER_STEP}.
 *
 * <p>The heap bound: the graph itself (tensors, nodes, closures, shapes, scope bookkeeping) is a
 * few thousand small objects per step: measured 2026-11-27 about 1.5 MB per compiled step for
 * this model (batch 2 of 32x32 gives the same), against 0.5-2.3 GB for the first, interpreted
 * steps, whose vectors are boxed. The bound leaves room for the graph, not for garbage per
 * element.
 */
class SteadyStateStepTest {
    private static final int BATCH = 2;
    private static final int SIZE = 16;
    private static final long HEAP_BYTES_PER_STEP = 4L << 20;
    private static final int MAX_STEPS = 400;

    @Test
    void stepsAllocateNoNativeMemoryAndLittleHeapAfterWarmUp() {
        MemoryPool pool = new MemoryPool("steady state");
        MemoryScope longLived = MemoryScope.longLived("model", pool);
        try {
            Tensor images;
            Tensor masks;
            LayerEnsemble model;
            Adam adam;
            try (MemoryScope.Activation ignored = longLived.activate()) {
                SeededRandom rng = new SeededRandom(7);
                images = Tensor.constant(NDArrays.randomUniform(rng.fork(1), 0, 1, BATCH, 1, SIZE, SIZE));
                int[] labels = new int[BATCH * SIZE * SIZE];
                for (int i = 0; i < labels.length; i++) {
                    labels[i] = (i * 7919) % 3 == 0 ? 1 : 0;
                }
                masks = Tensor.constant(NDArrays.of(labels, BATCH, SIZE, SIZE));
                UNet unet = new UNet(UNetConfig.unetSmall(2));
                model = new LayerEnsemble(unet, unet.layerEnsembleTaps(), 2, new int[] {1, 1, SIZE, SIZE}, rng.fork(2));
                model.module().train();
                adam = new Adam(model.module().namedParameters(), Adam.Options.defaults().withLr(1e-4));
            }
            for (int i = 0; i < 2; i++) {
                step(model, adam, images, masks, pool);
            }
            int slabs = pool.slabCount();
            long reserved = pool.reservedBytes();
            // Until the JIT has compiled the kernels, vectors are boxed on the heap: step until a
            // step's heap is under the bound (or give up after MAX_STEPS).
            long[] heap = new long[MAX_STEPS];
            int steps = 0;
            do {
                long before = allocatedBytes();
                step(model, adam, images, masks, pool);
                heap[steps] = allocatedBytes() - before;
                assertEquals(slabs, pool.slabCount(), "slabs after step " + (steps + 2));
                assertEquals(reserved, pool.reservedBytes(), "reserved bytes after step " + (steps + 2));
                steps++;
            } while (heap[steps - 1] >= HEAP_BYTES_PER_STEP && steps < MAX_STEPS);
            System.out.printf("[SteadyStateStepTest] heap per step: first %d, last %d bytes after %d steps; "
                    + "pool %d slabs, %d bytes reserved%n", heap[0], heap[steps - 1], steps + 2, slabs, reserved);
            assertTrue(heap[steps - 1] < HEAP_BYTES_PER_STEP, "heap allocated per step still " + heap[steps - 1]
                    + " bytes after " + steps + " steps, bound " + HEAP_BYTES_PER_STEP);
        } finally {
            longLived.close();
            pool.close();
        }
    }

    private static void step(LayerEnsemble model, Adam adam, Tensor images, Tensor masks, MemoryPool pool) {
        try (MemoryScope ignored = MemoryScope.open("training step", pool)) {
            HeadOutputs heads = model.heads(images);
            Tensor total = null;
            for (int h = 0; h < heads.size(); h++) {
                Tensor l = Losses.crossEntropy(heads.logits(h), masks);
                total = total == null ? l : ElementwiseOps.add(total, l);
            }
            total.backward();
            adam.step();
            adam.zeroGrad();
        }
    }

    /** Heap bytes allocated so far by this thread and the worker pool's threads. */
    private static long allocatedBytes() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t == Thread.currentThread() || t.getName().startsWith("le-worker")) {
                long bytes = threads.getThreadAllocatedBytes(t.threadId());
                sum += Math.max(bytes, 0);
            }
        }
        return sum;
    }
}
