package org.layerensembles.autograd.nn;

import java.util.List;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.ops.ElementwiseOps;
import org.layerensembles.autograd.ops.LinalgOps;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.testing.TestData;

/**
 * Small modules for the nn tests, built only from autograd ops (the real layers live elsewhere
 * and are tested there).
 */
final class TestModules {
    private TestModules() {
    }

    /** y = x · weight + bias on [N, in] -> [N, out]. */
    static final class Affine extends Module {
        final Tensor weight;
        final Tensor bias;

        Affine(int in, int out, long seed) {
            this(Tensor.parameter(TestData.array(seed, in, out)), Tensor.parameter(TestData.array(seed + 1, out)));
        }

        /** Uses the given tensors (parameters or constants that require gradients) as weight and bias. */
        Affine(Tensor weight, Tensor bias) {
            this.weight = parameter("weight", weight);
            this.bias = parameter("bias", bias);
        }

        @Override
        protected Tensor compute(Tensor x) {
            return ElementwiseOps.add(LinalgOps.matmul(x, weight), bias);
        }
    }

    /**
     * Identity with state: a buffer {@code running} (the last input's column sums, updated in
     * training only) and an int64 counter {@code steps} (training forwards seen).
     */
    static final class Stat extends Module {
        final NDArray running;
        final long[] steps;

        Stat(int channels) {
            running = buffer("running", NDArrays.zeros(channels));
            steps = counter("steps");
        }

        @Override
        protected Tensor compute(Tensor x) {
            if (isTraining()) {
                steps[0]++;
                float[] v = x.data().toFloatArray();
                int c = running.size(0);
                for (int j = 0; j < c; j++) {
                    float s = 0;
                    for (int i = j; i < v.length; i += c) {
                        s += v[i];
                    }
                    running.setFloat(s, j);
                }
            }
            return x;
        }
    }

    /** relu(fc(x)) followed by the stateful identity: children "fc" and "stat". */
    static final class Block extends Module {
        final Affine fc;
        final Stat stat;

        Block(int in, int out, long seed) {
            fc = register("fc", new Affine(in, out, seed));
            stat = register("stat", new Stat(out));
        }

        @Override
        protected Tensor compute(Tensor x) {
            return stat.forward(ElementwiseOps.relu(fc.forward(x)));
        }
    }

    /** Two blocks in a row. */
    static final class Stage extends Module {
        final Block block1;
        final Block block2;

        Stage(int in, int hidden, long seed) {
            block1 = register("block1", new Block(in, hidden, seed));
            block2 = register("block2", new Block(hidden, hidden, seed + 10));
        }

        @Override
        protected Tensor compute(Tensor x) {
            return block2.forward(block1.forward(x));
        }
    }

    /**
     * A tree three levels deep: encoder (block1 (fc, stat), block2 (fc, stat)), head, and an own
     * parameter {@code scale} registered last; y = scale * head(encoder(x)).
     */
    static final class Net extends Module {
        static final int IN = 3;
        static final int HIDDEN = 4;
        static final int OUT = 2;

        final Stage encoder;
        final Affine head;
        final Tensor scale;

        Net(long seed) {
            encoder = register("encoder", new Stage(IN, HIDDEN, seed));
            head = register("head", new Affine(HIDDEN, OUT, seed + 20));
            scale = parameter("scale", Tensor.parameter(NDArrays.scalar(1.5f)));
        }

        @Override
        protected Tensor compute(Tensor x) {
            return ElementwiseOps.mul(scale, head.forward(encoder.forward(x)));
        }

        static final List<String> MODULE_PATHS = List.of("", "encoder", "encoder.block1", "encoder.block1.fc",
                "encoder.block1.stat", "encoder.block2", "encoder.block2.fc", "encoder.block2.stat", "head");

        static final List<String> PARAMETER_NAMES = List.of("scale", "encoder.block1.fc.weight",
                "encoder.block1.fc.bias", "encoder.block2.fc.weight", "encoder.block2.fc.bias", "head.weight",
                "head.bias");

        static final List<String> BUFFER_NAMES = List.of("encoder.block1.stat.running", "encoder.block2.stat.running");

        static final List<String> COUNTER_NAMES = List.of("encoder.block1.stat.steps", "encoder.block2.stat.steps");
    }

    /** y = x * factor + offset, no parameters; for ordering tests. */
    static final class ScaleShift extends Module {
        private final double factor;
        private final double offset;

        ScaleShift(double factor, double offset) {
            this.factor = factor;
            this.offset = offset;
        }

        @Override
        protected Tensor compute(Tensor x) {
            return ElementwiseOps.add(ElementwiseOps.mul(x, factor), offset);
        }
    }

    /** Runs its child twice: child(child(x)). */
    static final class Twice extends Module {
        final Module child;

        Twice(Module child) {
            this.child = register("child", child);
        }

        @Override
        protected Tensor compute(Tensor x) {
            return child.forward(child.forward(x));
        }
    }

    /** A module with no parts that lets a test call the protected registration methods. */
    static final class Open extends Module {
        <M extends Module> M child(String name, M m) {
            return register(name, m);
        }

        Tensor param(String name, Tensor t) {
            return parameter(name, t);
        }

        NDArray buf(String name, NDArray a) {
            return buffer(name, a);
        }

        long[] count(String name) {
            return counter(name);
        }

        void swap(String name, NDArray a) {
            replaceBuffer(name, a);
        }

        @Override
        protected Tensor compute(Tensor x) {
            return x;
        }
    }

    static Tensor input(long seed, int... shape) {
        return Tensor.constant(TestData.array(seed, shape));
    }
}
