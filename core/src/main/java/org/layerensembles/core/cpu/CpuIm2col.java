package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The column matrix of a convolution and its adjoint. For channels [c0, c1) of one image and
 * output positions [q0, q0 + len) (q = oh * OW + ow), row r = (c - c0) * KH * KW + kh * KW + kw of
 * the columns holds, at column q - q0, the input pixel that tap (kh, kw) of channel c sees from
 * output position q: {@code x[c, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw]}, or 0 in the padding.
 * Then the convolution is a matrix product with the weights viewed as [F, C*KH*KW].
 */
final class CpuIm2col {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private CpuIm2col() {
    }

    /**
     * Writes the columns of channels [c0, c1) and positions [q0, q0 + len) of the image whose
     * channel 0 starts at element {@code image} of {@code x} into {@code dst}, row-major
     * [(c1 - c0) * KH * KW, len].
     */
    static void im2col(ConvGeometry g, MemorySegment x, long image, int c0, int c1, int q0, int len,
                       MemorySegment dst) {
        long d = 0;
        for (int c = c0; c < c1; c++) {
            long plane = image + (long) c * g.plane();
            for (int kh = 0; kh < g.kh(); kh++) {
                for (int kw = 0; kw < g.kw(); kw++) {
                    int oh = q0 / g.ow();
                    int ow = q0 % g.ow();
                    for (int q = q0, end = q0 + len; q < end; oh++, ow = 0) {
                        int run = Math.min(g.ow() - ow, end - q);
                        int ih = oh * g.sh() - g.ph() + kh * g.dh();
                        if (ih < 0 || ih >= g.h()) {
                            zero(dst, d, run);
                        } else {
                            gatherRow(g, x, plane + (long) ih * g.w(), ow * g.sw() - g.pw() + kw * g.dw(), run, dst, d);
                        }
                        d += run * 4L;
                        q += run;
                    }
                }
            }
        }
    }

    /** One run of an output row: dst[j] = row[iw0 + j*sw] for j < run, 0 outside [0, W). */
    private static void gatherRow(ConvGeometry g, MemorySegment x, long row, int iw0, int run,
                                  MemorySegment dst, long d) {
        int w = g.w();
        int sw = g.sw();
        // Valid j: 0 <= iw0 + j*sw < w.
        int lo = iw0 >= 0 ? 0 : Math.min(run, (-iw0 + sw - 1) / sw);
        int hi = iw0 >= w ? 0 : Math.min(run, (w - iw0 + sw - 1) / sw);
        hi = Math.max(hi, lo);
        zero(dst, d, lo);
        if (sw == 1) {
            MemorySegment.copy(x, (row + iw0 + lo) * 4, dst, d + lo * 4L, (long) (hi - lo) * 4);
        } else {
            for (int j = lo; j < hi; j++) {
                dst.set(F, d + j * 4L, x.getAtIndex(F, row + iw0 + (long) j * sw));
            }
        }
        zero(dst, d + hi * 4L, run - hi);
    }

    private static void zero(MemorySegment dst, long at, int count) {
        for (int j = 0; j < count; j++) {
            dst.set(F, at + j * 4L, 0f);
        }
    }

    /**
     * The adjoint of {@link #im2col}: adds column matrix {@code cols} (same layout) into the
     * gradient image whose channel 0 starts at element {@code image} of {@code gx}. Each pixel
     * receives its contributions in a fixed order (channel, tap, position).
     */
    static void col2imAdd(ConvGeometry g, MemorySegment cols, int c0, int c1, int q0, int len,
                          MemorySegment gx, long image) {
        long s = 0;
        for (int c = c0; c < c1; c++) {
            long plane = image + (long) c * g.plane();
            for (int kh = 0; kh < g.kh(); kh++) {
                for (int kw = 0; kw < g.kw(); kw++) {
                    int oh = q0 / g.ow();
                    int ow = q0 % g.ow();
                    for (int q = q0, end = q0 + len; q < end; oh++, ow = 0) {
                        int run = Math.min(g.ow() - ow, end - q);
                        int ih = oh * g.sh() - g.ph() + kh * g.dh();
                        if (ih >= 0 && ih < g.h()) {
                            scatterRow(g, cols, s, gx, plane + (long) ih * g.w(), ow * g.sw() - g.pw() + kw * g.dw(), run);
                        }
                        s += run * 4L;
                        q += run;
                    }
                }
            }
        }
    }

    /** row[iw0 + j*sw] += src[j] for the j of this run that land inside [0, W). */
    private static void scatterRow(ConvGeometry g, MemorySegment src, long s, MemorySegment gx, long row, int iw0,
                                   int run) {
        int w = g.w();
        int sw = g.sw();
        int lo = iw0 >= 0 ? 0 : Math.min(run, (-iw0 + sw - 1) / sw);
        int hi = iw0 >= w ? 0 : Math.min(run, (w - iw0 + sw - 1) / sw);
        if (sw == 1) {
            // Unit stride: both sides contiguous, add vectors (a masked one for the tail).
            long to = (row + iw0) * 4;
            for (int j = lo; j < hi; j += S.length()) {
                VectorMask<Float> m = S.indexInRange(j, hi);
                FloatVector.fromMemorySegment(S, gx, to + j * 4L, NO, m)
                        .add(FloatVector.fromMemorySegment(S, src, s + j * 4L, NO, m))
                        .intoMemorySegment(gx, to + j * 4L, NO, m);
            }
            return;
        }
        for (int j = lo; j < hi; j++) {
            long at = row + iw0 + (long) j * sw;
            gx.setAtIndex(F, at, gx.getAtIndex(F, at) + src.get(F, s + j * 4L));
        }
    }
}
