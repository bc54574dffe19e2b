package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The register tiles {@link CpuGemm} can use: {@code rows x vectors} of C held in registers by a
 * micro-kernel of {@link GemmKernels}. Widths are in vectors of the preferred species, so a tile
 * has {@code vectors * L} columns (64 for 4 vectors on AVX-512, 32 on AVX2).
 *
 * <p>Which tiles exist depends on the register file: 32 vector registers (AVX-512) hold 24
 * accumulators plus the B vectors and a broadcast; 16 (AVX2 and narrower) hold 12. Each has an
 * efficiency relative to the best tile (loads per FMA: 6x4 and 4x6 need 10 per 24, 2x8 10 per
 * 16), which {@link GemmPlan} weighs against the rows and columns a tile wastes at the edges.
 */
enum GemmTile {
    /** 6 x 64 on AVX-512: the default for large M (the three AVX-512 tiles ran 112-116 GFLOP/s on one core here). */
    R6_V4(6, 4, 1.0),
    /** 4 x 96 on AVX-512: M a multiple of 4 (16, 32, ...). */
    R4_V6(4, 6, 0.98),
    /** 2 x 128 on AVX-512: M = 1 or 2. */
    R2_V8(2, 8, 0.75),
    /** 6 x 16 on AVX2 (six broadcasts per 12 FMAs: 55 GFLOP/s where 4 x 24 ran 68, one core, -XX:UseAVX=2). */
    R6_V2(6, 2, 0.8),
    /** 4 x 24 on AVX2: the default for large M there. */
    R4_V3(4, 3, 1.0),
    /** 2 x 32 on AVX2 (66 GFLOP/s in the same measurement). */
    R2_V4(2, 4, 0.95);

    /** Tiles that fit the register file of this machine's preferred species. */
    static final List<GemmTile> AVAILABLE = GemmKernels.S.vectorBitSize() >= 512
            ? List.of(R6_V4, R4_V6, R2_V8) : List.of(R6_V2, R4_V3, R2_V4);

    final int rows;
    final int vectors;
    final int columns;
    final double efficiency;

    GemmTile(int rows, int vectors, double efficiency) {
        this.rows = rows;
        this.vectors = vectors;
        this.columns = vectors * GemmKernels.L;
        this.efficiency = efficiency;
    }

    /** Runs this tile's micro-kernel (arguments as in {@link GemmKernels}). */
    void multiply(MemorySegment a, long ao, long aRow, long aDepth, int validRows,
                  MemorySegment b, long bo, long bStep, int kc, MemorySegment t) {
        switch (this) {
            case R6_V4 -> GemmKernels.k6x4(a, ao, aRow, aDepth, validRows, b, bo, bStep, kc, t);
            case R4_V6 -> GemmKernels.k4x6(a, ao, aRow, aDepth, validRows, b, bo, bStep, kc, t);
            case R2_V8 -> GemmKernels.k2x8(a, ao, aRow, aDepth, validRows, b, bo, bStep, kc, t);
            case R6_V2 -> GemmKernels.k6x2(a, ao, aRow, aDepth, validRows, b, bo, bStep, kc, t);
            case R4_V3 -> GemmKernels.k4x3(a, ao, aRow, aDepth, validRows, b, bo, bStep, kc, t);
            case R2_V4 -> GemmKernels.k2x4(a, ao, aRow, aDepth, validRows, b, bo, bStep, kc, t);
        }
    }
}
