package org.layerensembles.core;

/**
 * A counter-based random generator: draw number i of a generator is a pure function of
 * (seed, i). Filling an array in parallel chunks therefore gives the same numbers on any number
 * of threads, and the same seed gives the same weights on any machine.
 *
 * <p>The mixing function is SplitMix64's finaliser applied to the seed and the draw index.
 */
public final class SeededRandom {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final double TWO_PI = 2 * Math.PI;

    private final long seed;
    private long counter;

    public SeededRandom(long seed) {
        this.seed = seed;
    }

    public long seed() {
        return seed;
    }

    /** Reserves the next {@code n} draws and returns the index of the first. */
    public synchronized long reserve(long n) {
        long first = counter;
        counter += n;
        return first;
    }

    /** A generator for an independent stream, derived from this one's seed and a label. */
    public SeededRandom fork(long label) {
        return new SeededRandom(mix(seed ^ mix(label + GOLDEN)));
    }

    /** 64 well-mixed bits for draw {@code index} of the stream {@code seed}. */
    public static long bits(long seed, long index) {
        return mix(mix(seed) + index * GOLDEN);
    }

    /** A double uniform in [0, 1) with 53 random bits. */
    public static double uniform(long seed, long index) {
        return (bits(seed, index) >>> 11) * 0x1.0p-53;
    }

    /**
     * A standard normal value (Box-Muller over draws 2i and 2i+1; the first uniform is moved to
     * (0, 1] so the logarithm is finite). StrictMath makes the bits the same on every JVM,
     * JIT tier and machine.
     */
    public static double normal(long seed, long index) {
        double u1 = 1.0 - uniform(seed, 2 * index);
        double u2 = uniform(seed, 2 * index + 1);
        return StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(TWO_PI * u2);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
