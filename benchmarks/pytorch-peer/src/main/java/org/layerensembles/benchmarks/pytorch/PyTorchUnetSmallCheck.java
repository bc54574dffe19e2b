package org.layerensembles.benchmarks.pytorch;

/**
 * Smoke check of the peer without JMH: a few LE and plain training steps (the loss must fall), the
 * number of arrays left in the base manager (must not grow: no per-step leak) and one inference.
 * Run with the same flags as the benchmark: -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2.
 */
public final class PyTorchUnetSmallCheck {
    private PyTorchUnetSmallCheck() {}

    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        PyTorchUnetSmallBenchmark b = new PyTorchUnetSmallBenchmark();
        b.setUp();
        for (boolean le : new boolean[] {true, false}) {
            for (int i = 0; i < steps; i++) {
                long t0 = System.nanoTime();
                float loss = le ? b.trainLayerEnsembles() : b.trainPlain();
                System.out.printf("%s step %d: loss %.5f, %.1f ms, base arrays %d%n", le ? "LE" : "plain", i, loss,
                        (System.nanoTime() - t0) / 1e6, b.baseArrayCount());
            }
        }
        for (int i = 0; i < 2; i++) {
            long t0 = System.nanoTime();
            float[] aula = b.inferLayerEnsembles();
            System.out.printf("infer: AULA[0..1] %.4f %.4f, %.1f ms, base arrays %d%n", aula[0], aula[1],
                    (System.nanoTime() - t0) / 1e6, b.baseArrayCount());
        }
        b.tearDown();
    }
}
