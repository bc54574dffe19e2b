package org.layerensembles.training;

import java.util.ArrayList;
import java.util.List;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.nn.Sequential;
import org.layerensembles.autograd.nn.layers.BatchNorm2d;
import org.layerensembles.autograd.nn.layers.Conv2d;
import org.layerensembles.autograd.nn.layers.ReLU;
import org.layerensembles.autograd.ops.ElementwiseOps;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.data.Sample;
import org.layerensembles.data.SegmentationDataset;
import org.layerensembles.ensemble.HeadOutput;
import org.layerensembles.ensemble.HeadOutputs;
import org.layerensembles.ensemble.MemberwiseModel;
import org.layerensembles.ensemble.SegmentationModel;

/**
 * Tiny models and data for the trainer's tests: 16x16 images of a bright disc on noise, and small
 * conv-BN-ReLU networks with one head per block. Everything is built with no memory scope open
 * (garbage-collected arrays), as datasets and models built outside a training step should be.
 */
final class TinyFixtures {
    static final int SIZE = 16;

    private TinyFixtures() {
    }

    /** {@code count} images [1, 16, 16]: noise (std 0.35) plus a disc of height 1; mask = the disc. */
    static SegmentationDataset discs(int count, long seed) {
        List<Sample> samples = new ArrayList<>();
        for (int s = 0; s < count; s++) {
            long stream = new SeededRandom(seed).fork(s).seed();
            double cy = 4 + 8 * SeededRandom.uniform(stream, 0);
            double cx = 4 + 8 * SeededRandom.uniform(stream, 1);
            double r = 2.5 + 2.5 * SeededRandom.uniform(stream, 2);
            float[] image = new float[SIZE * SIZE];
            int[] mask = new int[SIZE * SIZE];
            for (int y = 0; y < SIZE; y++) {
                for (int x = 0; x < SIZE; x++) {
                    int i = y * SIZE + x;
                    boolean in = (y - cy) * (y - cy) + (x - cx) * (x - cx) <= r * r;
                    mask[i] = in ? 1 : 0;
                    image[i] = (float) ((in ? 1.0 : 0.0) + 0.35 * SeededRandom.normal(stream, 10 + i));
                }
            }
            samples.add(new Sample("disc-" + s, NDArrays.of(image, 1, SIZE, SIZE), NDArrays.of(mask, SIZE, SIZE), Double.NaN));
        }
        return new SegmentationDataset() {
            @Override
            public int size() {
                return samples.size();
            }

            @Override
            public Sample get(int index) {
                return samples.get(index);
            }

            @Override
            public int classes() {
                return 2;
            }
        };
    }

    /** The module tree of {@link TinyNet}: blocks and heads as children. */
    static final class TinyNetModule extends Module {
        final List<Module> blocks = new ArrayList<>();
        final List<Conv2d> heads = new ArrayList<>();

        TinyNetModule(int blocks, int width, boolean batchNorm, int headCount, SeededRandom rng) {
            int in = 1;
            for (int b = 0; b < blocks; b++) {
                Sequential block = batchNorm
                        ? new Sequential(new Conv2d(in, width, 3, 1, 1, rng), new BatchNorm2d(width), new ReLU())
                        : new Sequential(new Conv2d(in, width, 3, 1, 1, rng), new ReLU());
                this.blocks.add(register("block" + b, block));
                in = width;
            }
            for (int h = 0; h < headCount; h++) {
                heads.add(register("head" + h, new Conv2d(width, 2, 3, 1, 1, rng)));
            }
        }

        @Override
        protected Tensor compute(Tensor input) {
            throw new UnsupportedOperationException("use TinyNet.heads");
        }
    }

    /**
     * A small segmentation network: {@code headCount} heads. With one head per block the heads tap
     * blocks 0..n-1 (a tiny Layer Ensemble); with a single head it taps the last block (Plain).
     */
    static final class TinyNet implements SegmentationModel {
        final TinyNetModule module;
        /** Training-mode heads() calls so far; the call numbered {@code nanAtCall} (1-based) emits NaN. */
        int trainingCalls;
        int nanAtCall = -1;
        /** After the forward pass of training call {@code poisonAtCall}, parameter {@code poisonName} is set to NaN. */
        int poisonAtCall = -1;
        String poisonName;

        TinyNet(int blocks, int width, boolean batchNorm, int headCount, long seed) {
            module = new TinyNetModule(blocks, width, batchNorm, headCount, new SeededRandom(seed));
        }

        /** Two blocks of width 8 with batch norm, one head on each block. */
        static TinyNet twoHeads(long seed) {
            return new TinyNet(2, 8, true, 2, seed);
        }

        @Override
        public HeadOutputs heads(Tensor images) {
            if (module.isTraining()) {
                trainingCalls++;
            }
            List<Tensor> features = new ArrayList<>();
            Tensor x = images;
            for (Module b : module.blocks) {
                x = b.forward(x);
                features.add(x);
            }
            List<HeadOutput> out = new ArrayList<>();
            int heads = module.heads.size();
            for (int h = 0; h < heads; h++) {
                int tap = heads == 1 ? features.size() - 1 : h;
                Tensor logits = module.heads.get(h).forward(features.get(tap));
                if (module.isTraining() && trainingCalls == nanAtCall && h == heads - 1) {
                    logits = ElementwiseOps.mul(logits, Double.NaN);
                }
                out.add(new HeadOutput("block" + tap, logits));
            }
            if (module.isTraining() && trainingCalls == poisonAtCall) {
                Autograd.backend().fill(module.namedParameters().get(poisonName).data(), Double.NaN);
            }
            return new HeadOutputs(out);
        }

        @Override
        public Module module() {
            return module;
        }

        @Override
        public String method() {
            return "LE";
        }

        @Override
        public int classes() {
            return 2;
        }
    }

    /** A deep ensemble of single-head {@link TinyNet}s, trained member by member. */
    static final class TinyEnsemble implements MemberwiseModel {
        final List<SegmentationModel> members = new ArrayList<>();
        final Module module;

        TinyEnsemble(int count, long seed) {
            List<Module> parts = new ArrayList<>();
            for (int m = 0; m < count; m++) {
                TinyNet net = new TinyNet(2, 8, true, 1, seed + 100 * m);
                members.add(net);
                parts.add(net.module());
            }
            module = new Module() {
                {
                    for (int m = 0; m < parts.size(); m++) {
                        register("member" + m, parts.get(m));
                    }
                }

                @Override
                protected Tensor compute(Tensor input) {
                    throw new UnsupportedOperationException("use TinyEnsemble.heads");
                }
            };
        }

        @Override
        public List<SegmentationModel> members() {
            return members;
        }

        @Override
        public HeadOutputs heads(Tensor images) {
            List<HeadOutput> out = new ArrayList<>();
            for (int m = 0; m < members.size(); m++) {
                out.add(new HeadOutput("member" + m, members.get(m).heads(images).logits(0)));
            }
            return new HeadOutputs(out);
        }

        @Override
        public Module module() {
            return module;
        }

        @Override
        public String method() {
            return "DE";
        }

        @Override
        public int classes() {
            return 2;
        }
    }
}
