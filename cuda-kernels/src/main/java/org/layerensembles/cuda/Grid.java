package org.layerensembles.cuda;

/** A launch's grid: how many blocks along x, y and z. */
public record Grid(int x, int y, int z) {
    /** The driver's limits: 2^31 - 1 blocks along x, 65535 along y and z. */
    private static final int MAX_YZ = 65535;

    public Grid {
        if (x < 1 || y < 1 || z < 1 || y > MAX_YZ || z > MAX_YZ) {
            throw new IllegalArgumentException("grid " + x + "x" + y + "x" + z
                    + ": each extent must be >= 1, y and z <= " + MAX_YZ);
        }
    }

    public static Grid of(int x) {
        return new Grid(x, 1, 1);
    }

    public static Grid of(int x, int y) {
        return new Grid(x, y, 1);
    }

    public static Grid of(int x, int y, int z) {
        return new Grid(x, y, z);
    }

    /** Enough blocks of {@code blockSize} threads along x to cover {@code n} items (at least one block). */
    public static Grid covering(long n, int blockSize) {
        long blocks = Math.max(1, (n + blockSize - 1) / blockSize);
        if (blocks > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("grid: " + n + " items need " + blocks + " blocks of " + blockSize
                    + ", more than a grid holds; use a grid-stride loop");
        }
        return of((int) blocks);
    }
}
