package org.layerensembles.core.nd4j;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.bytedeco.javacpp.indexer.Indexer;
import org.bytedeco.javacpp.indexer.IntIndexer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;

/**
 * Zero-copy views of our arrays as ND4J {@link INDArray}s: the INDArray reads and writes the
 * NDArray's native memory.
 *
 * <p>How: the memory the view spans becomes a direct {@link java.nio.ByteBuffer}
 * ({@link MemorySegment#asByteBuffer()}), a JavaCPP pointer is built on that buffer's address,
 * and ND4J's CPU buffer factory ({@code Nd4j.createBuffer(Pointer, DataType, long, Indexer)})
 * wraps the pointer as an "externalized" data buffer, which ND4J never frees.
 *
 * <p>Lifetime: the INDArray is valid only while the NDArray's memory scope is open. Use it
 * inside one backend call and let it go; never keep it.
 */
public final class Nd4jArrays {
    private Nd4jArrays() {
    }

    /**
     * An INDArray sharing {@code x}'s memory, with the same shape and strides (any view with
     * non-negative strides: contiguous, transposed, sliced; float32 or int32).
     */
    public static INDArray wrap(NDArray x) {
        int[] shape = x.shape();
        int[] strides = x.strides();
        long[] lShape = new long[shape.length];
        long[] lStrides = new long[shape.length];
        long span = 1;
        for (int i = 0; i < shape.length; i++) {
            if (strides[i] < 0) {
                throw new IllegalArgumentException("Nd4jArrays.wrap: negative strides are not supported");
            }
            lShape[i] = shape[i];
            lStrides[i] = strides[i];
            span += (long) (shape[i] - 1) * strides[i];
        }
        DataType type = x.dtype() == DType.FLOAT32 ? DataType.FLOAT : DataType.INT;
        if (x.numel() == 0) {
            return Nd4j.create(type, lShape);
        }
        MemorySegment region = x.segment().asSlice(x.offset() * 4, span * 4);
        DataBuffer buffer = buffer(region, type, span);
        return Nd4j.create(buffer, lShape, lStrides, 0, 'c', type);
    }

    private static DataBuffer buffer(MemorySegment region, DataType type, long length) {
        java.nio.ByteBuffer bytes = region.asByteBuffer().order(ByteOrder.nativeOrder());
        Pointer pointer;
        Indexer indexer;
        if (type == DataType.FLOAT) {
            FloatPointer p = new FloatPointer(bytes.asFloatBuffer());
            pointer = p;
            indexer = FloatIndexer.create(p);
        } else {
            IntPointer p = new IntPointer(bytes.asIntBuffer());
            pointer = p;
            indexer = IntIndexer.create(p);
        }
        if (pointer.address() != region.address()) {
            throw new IllegalStateException("Nd4jArrays.wrap: JavaCPP pointer does not point at the array's memory");
        }
        return Nd4j.createBuffer(pointer, type, length, indexer);
    }
}
