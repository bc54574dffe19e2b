package org.layerensembles.cuda;

/** A launch's thread block: threads along x, y and z (1024 at most in all). */
public record Block(int x, int y, int z) {
    private static final int MAX_THREADS = 1024;

    public Block {
        if (x < 1 || y < 1 || z < 1 || (long) x * y * z > MAX_THREADS || z > 64) {
            throw new IllegalArgumentException("block " + x + "x" + y + "x" + z
                    + ": each extent >= 1, z <= 64, at most " + MAX_THREADS + " threads");
        }
    }

    public static Block of(int x) {
        return new Block(x, 1, 1);
    }

    public static Block of(int x, int y) {
        return new Block(x, y, 1);
    }

    public static Block of(int x, int y, int z) {
        return new Block(x, y, z);
    }

    public int threads() {
        return x * y * z;
    }
}
