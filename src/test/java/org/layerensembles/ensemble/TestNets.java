package org.layerensembles.ensemble;

import java.util.List;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.nn.Sequential;
import org.layerensembles.autograd.nn.layers.BatchNorm2d;
import org.layerensembles.autograd.nn.layers.Conv2d;
import org.layerensembles.autograd.nn.layers.MaxPool2d;
import org.layerensembles.autograd.nn.layers.ReLU;
import org.layerensembles.autograd.nn.layers.Upsample;
import org.layerensembles.autograd.ops.ResampleOps;
import org.layerensembles.autograd.ops.ShapeOps;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Resize;

/** Small foreign models (nothing Layer-Ensembles-specific in them) that the tests wrap. */
final class TestNets {
    private TestNets() {
    }

    /**
     * stem (conv 3x3 -> 4, BN, ReLU) at full size, pool /2, block (conv 3x3 -> 6, BN, ReLU) at half
     * size, nearest x2, final 1x1 conv to the classes: logits [N, classes, H, W].
     */
    static Sequential convNet(int in, int classes, SeededRandom rng) {
        Sequential stem = new Sequential().add("conv", new Conv2d(in, 4, 3, 1, 1, rng)).add("bn", new BatchNorm2d(4))
                .add("relu", new ReLU());
        Sequential block = new Sequential().add("conv", new Conv2d(4, 6, 3, 1, 1, rng)).add("bn", new BatchNorm2d(6))
                .add("relu", new ReLU());
        return new Sequential().add("stem", stem).add("pool", new MaxPool2d(2)).add("block", block)
                .add("up", Upsample.nearest(2)).add("final", new Conv2d(6, classes, 1, 1, 0, rng));
    }

    /**
     * A module with two branches, registered in another order than they run: trunk (conv -> 4,
     * ReLU); right = (pool /2, conv -> 3) at half size; left = conv -> 5 at full size; out = 1x1
     * conv of [left, right upsampled] to the classes.
     */
    static final class Branchy extends Module {
        final Sequential trunk;
        final Sequential right;
        final Conv2d left;
        final Conv2d out;

        Branchy(int in, int classes, SeededRandom rng) {
            trunk = register("trunk", new Sequential(new Conv2d(in, 4, 3, 1, 1, rng), new ReLU()));
            right = register("right", new Sequential().add("pool", new MaxPool2d(2))
                    .add("conv", new Conv2d(4, 3, 3, 1, 1, rng)));
            left = register("left", new Conv2d(4, 5, 3, 1, 1, rng));
            out = register("out", new Conv2d(8, classes, 1, 1, 0, rng));
        }

        @Override
        protected Tensor compute(Tensor x) {
            Tensor t = trunk.forward(x);
            Tensor l = left.forward(t);
            Tensor r = ResampleOps.resize(right.forward(t), Resize.byScale(Resize.Mode.NEAREST, 2, 2, false));
            return out.forward(ShapeOps.concat(List.of(l, r), 1));
        }
    }

    /** Flattens [N, ...] to [N, rest]: a layer whose output is not 4-D. */
    static final class Flatten extends Module {
        @Override
        protected Tensor compute(Tensor x) {
            return ShapeOps.reshape(x, x.size(0), -1);
        }
    }

    /** Runs child "extra" only on inputs at least 8 pixels high; child "dead" never runs. */
    static final class Conditional extends Module {
        final Conv2d main;
        final Conv2d extra;

        Conditional(SeededRandom rng) {
            main = register("main", new Conv2d(1, 3, 3, 1, 1, rng));
            extra = register("extra", new Conv2d(3, 3, 3, 1, 1, rng));
            register("dead", new Conv2d(3, 3, 3, 1, 1, rng));
        }

        @Override
        protected Tensor compute(Tensor x) {
            Tensor y = main.forward(x);
            return x.size(2) >= 8 ? extra.forward(y) : y;
        }
    }
}
