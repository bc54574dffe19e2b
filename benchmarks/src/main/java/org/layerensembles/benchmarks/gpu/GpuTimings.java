package org.layerensembles.benchmarks.gpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.GradMode;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.optim.Adam;
import org.layerensembles.benchmarks.TrainingSteps;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Backends;
import org.layerensembles.core.memory.MemoryPool;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.cuda.CudaBackend;
import org.layerensembles.cuda.CudaContext;
import org.layerensembles.cuda.CudaDriver;
import org.layerensembles.cuda.CudaEvent;
import org.layerensembles.cuda.CudaLayerAgreement;
import org.layerensembles.ensemble.HeadCombiner;
import org.layerensembles.ensemble.LayerEnsemble;
import org.layerensembles.ensemble.Plain;
import org.layerensembles.ensemble.SegmentationModel;
import org.layerensembles.models.UNet;
import org.layerensembles.models.UNetConfig;
import org.layerensembles.uncertainty.UncertaintyOptions;

/**
 * The GPU check's timings of our CUDA backend, the counterpart of
 * {@code cuda-kernels/gpu-check/pytorch_peer.py} (same workload, same keys): the unet-small
 * workload of the benchmarks (batch 8 of 1x128x128, 2 classes, see ModelState) with the models
 * on the GPU ({@code Module.to}), each measurement the median of 20 after 5 warm-ups, wall clock
 * with the stream synchronised after each repetition.
 * <ul>
 *   <li>{@code train_plain_ms}, {@code train_le_ms}: forward, summed cross-entropy over the heads,
 *       backward, Adam step (lr 1e-4), zeroGrad;</li>
 *   <li>{@code infer_le_ms}: eval-mode forward of the 9-head Layer Ensemble, the softmax of
 *       every head and the fused agreement kernel (all maps, adjacent-head Dice counts);</li>
 *   <li>{@code uncertainty_ms}, {@code uncertainty_gbps}: that kernel alone
 *       ({@link CudaLayerAgreement}), GB/s of head probabilities read;</li>
 *   <li>{@code copy_dtod_gbps}: a 256 MiB device-to-device copy timed with events, bytes read plus
 *       written: the memory ceiling the uncertainty kernel's GB/s is to be read against.</li>
 * </ul>
 * A measurement that cannot run (no CUDA backend registered, a primitive the backend lacks, an
 * array left on the host) is written as {@code missing: <why>} instead of stopping the others.
 * Usage: {@code GpuTimings <output.tsv>}; lines are {@code key<TAB>value}.
 */
public final class GpuTimings {
    private static final int WARMUP = 5;
    private static final int RUNS = 20;
    private static final int BATCH = 8;
    private static final int SIZE = 128;
    private static final int CLASSES = 2;
    private static final double EPSILON = UncertaintyOptions.DEFAULT_EPSILON;

    private final Map<String, String> results = new LinkedHashMap<>();
    private final CudaContext context;

    private GpuTimings(CudaContext context) {
        this.context = context;
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "gpu-timings.tsv");
        Map<String, String> results;
        if (!CudaDriver.available()) {
            System.out.println("[GpuTimings] no GPU: " + CudaDriver.unavailableReason());
            results = Map.of("device", "missing: " + CudaDriver.unavailableReason());
        } else {
            GpuTimings t = new GpuTimings(CudaContext.device(0));
            t.runAll();
            results = t.results;
        }
        StringBuilder sb = new StringBuilder();
        results.forEach((k, v) -> sb.append(k).append('\t').append(v).append('\n'));
        Files.writeString(out, sb);
        System.out.print(sb);
    }

    private void runAll() {
        results.put("device", context.toString());
        results.put("copy_dtod_gbps", String.format("%.1f", copyBandwidth()));
        Backend cuda;
        try {
            cuda = Backends.get("cuda");
        } catch (RuntimeException e) {
            String why = "missing: " + firstLine(e);
            for (String k : List.of("train_plain_ms", "train_le_ms", "infer_le_ms", "uncertainty_ms")) {
                results.put(k, why);
            }
            return;
        }
        try (MemoryScope longLived = MemoryScope.longLived("gpu timings")) {
            Tensor images;
            Tensor masks;
            Map<String, SegmentationModel> models = new LinkedHashMap<>();
            try (MemoryScope.Activation ignored = longLived.activate()) {
                SeededRandom rng = new SeededRandom(11);
                NDArray x = NDArrays.randomUniform(rng.fork(1), 0, 1, BATCH, 1, SIZE, SIZE);
                float[] u = NDArrays.randomUniform(rng.fork(2), 0, 1, BATCH, SIZE, SIZE).toFloatArray();
                int[] labels = new int[u.length];
                for (int i = 0; i < u.length; i++) {
                    labels[i] = u[i] < 0.3f ? 1 : 0;
                }
                UNetConfig config = UNetConfig.unetSmall(CLASSES);
                models.put("plain", new Plain(new UNet(config), CLASSES));
                UNet unet = new UNet(config);
                models.put("le", new LayerEnsemble(unet, unet.layerEnsembleTaps(), CLASSES, new int[] {1, 1, SIZE, SIZE},
                        rng.fork(3)));
                // Built on the host (initialisers draw there), then moved.
                images = Tensor.constant(cuda.toDevice(x));
                masks = Tensor.constant(cuda.toDevice(NDArrays.of(labels, BATCH, SIZE, SIZE)));
                models.values().forEach(m -> m.module().to(cuda));
            }
            Backend previous = Autograd.backend();
            Autograd.useBackend(cuda);
            try {
                for (var e : models.entrySet()) {
                    SegmentationModel model = e.getValue();
                    model.module().train();
                    Adam adam = new Adam(model.module().namedParameters(), Adam.Options.defaults().withLr(1e-4));
                    time("train_" + e.getKey() + "_ms", () -> TrainingSteps.step(model, adam, images, masks));
                }
                SegmentationModel le = models.get("le");
                le.module().eval();
                CudaLayerAgreement agreement = new CudaLayerAgreement((CudaBackend) cuda);
                time("infer_le_ms", () -> {
                    try (GradMode.Scope noGrad = GradMode.noGrad()) {
                        agreement.compute(HeadCombiner.probabilities(le.heads(images), 0), null, EPSILON, false);
                    }
                });
                timeUncertaintyKernel(agreement, le, images);
            } finally {
                Autograd.useBackend(previous);
            }
        }
    }

    /**
     * The fused agreement kernel alone on the LE heads' probabilities; GB/s counts the bytes it
     * reads (every head's probabilities), as the PyTorch peer does.
     */
    private void timeUncertaintyKernel(CudaLayerAgreement agreement, SegmentationModel le, Tensor images) {
        try (MemoryScope heads = MemoryScope.open("uncertainty inputs", MemoryPool.global());
             GradMode.Scope noGrad = GradMode.noGrad()) {
            List<NDArray> probabilities = HeadCombiner.probabilities(le.heads(images), 0);
            time("uncertainty_ms", () -> agreement.compute(probabilities, null, EPSILON, false));
            String ms = results.get("uncertainty_ms");
            if (!ms.startsWith("missing")) {
                long pixels = (long) BATCH * SIZE * SIZE;
                long bytes = 4L * probabilities.size() * pixels * CLASSES;
                results.put("uncertainty_gbps", String.format("%.1f", bytes / (Double.parseDouble(ms) * 1e6)));
            }
        }
    }

    /** Median wall time of {@link #RUNS} repetitions after {@link #WARMUP}, each in its own scope. */
    private void time(String key, Runnable body) {
        List<Double> ms = new ArrayList<>();
        try {
            for (int i = 0; i < WARMUP + RUNS; i++) {
                long t0 = System.nanoTime();
                try (MemoryScope ignored = MemoryScope.open(key, MemoryPool.global())) {
                    body.run();
                    context.synchronize();
                }
                if (i >= WARMUP) {
                    ms.add((System.nanoTime() - t0) / 1e6);
                }
            }
        } catch (RuntimeException e) {
            results.put(key, "missing: " + firstLine(e));
            System.out.println("[GpuTimings] " + key + " failed:");
            e.printStackTrace(System.out);
            return;
        }
        double[] sorted = ms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        results.put(key, String.format("%.3f", sorted[sorted.length / 2]));
        System.out.printf("[GpuTimings] %s: median %.3f ms (min %.3f, max %.3f)%n", key, sorted[sorted.length / 2],
                sorted[0], sorted[sorted.length - 1]);
    }

    /** GB/s of a device-to-device copy of 256 MiB, counting bytes read and written, median of the runs. */
    private double copyBandwidth() {
        long bytes = 256L << 20;
        long src = context.allocator().allocate(bytes);
        long dst = context.allocator().allocate(bytes);
        double[] gbps = new double[RUNS];
        try (CudaEvent start = CudaEvent.create(context); CudaEvent end = CudaEvent.create(context)) {
            for (int i = 0; i < WARMUP + RUNS; i++) {
                start.record();
                context.memory().copyDeviceToDevice(src, dst, bytes);
                end.record();
                float ms = CudaEvent.elapsedMillis(start, end);
                if (i >= WARMUP) {
                    gbps[i - WARMUP] = 2.0 * bytes / (ms * 1e6);
                }
            }
        } finally {
            context.allocator().free(src);
            context.allocator().free(dst);
        }
        Arrays.sort(gbps);
        return gbps[RUNS / 2];
    }

    private static String firstLine(Throwable e) {
        String m = e.getClass().getSimpleName() + ": " + e.getMessage();
        int nl = m.indexOf('\n');
        return (nl < 0 ? m : m.substring(0, nl)).replace('\t', ' ');
    }
}
