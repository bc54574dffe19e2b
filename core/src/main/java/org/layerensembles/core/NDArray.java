package org.layerensembles.core;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.layerensembles.core.cpu.StridedCopy;
import org.layerensembles.core.memory.Allocation;

/**
 * Numbers in native memory: an {@link Allocation}, a dtype, a shape, strides and an offset (both
 * in elements). It knows nothing of gradients (that is {@code Tensor}, in autograd) and nothing
 * of arithmetic (that is the {@link org.layerensembles.core.backend.Backend}).
 *
 * <p>Views ({@link #reshape}, {@link #permute}, {@link #transpose}, {@link #slice},
 * {@link #broadcastTo}) share memory with the array they come from. Create arrays with
 * {@link NDArrays}.
 */
public final class NDArray {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;

    private final Allocation memory;
    private final DType dtype;
    private final int[] shape;
    private final int[] strides;
    private final long offset;

    NDArray(Allocation memory, DType dtype, int[] shape, int[] strides, long offset) {
        this.memory = memory;
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    /** A view of existing memory; for backends that build arrays around memory they manage. */
    public static NDArray view(Allocation memory, DType dtype, int[] shape, int[] strides, long offset) {
        return new NDArray(memory, dtype, shape.clone(), strides.clone(), offset);
    }

    // ---- metadata

    public DType dtype() {
        return dtype;
    }

    public Device device() {
        return memory.device();
    }

    public int rank() {
        return shape.length;
    }

    public int[] shape() {
        return shape.clone();
    }

    /** Extent of one dimension; negative dimensions count from the end. */
    public int size(int dim) {
        return shape[Shapes.axis("size", dim, shape.length)];
    }

    public long numel() {
        return Shapes.numel(shape);
    }

    /** Strides in elements. */
    public int[] strides() {
        return strides.clone();
    }

    /** Offset of the first element in the allocation, in elements. */
    public long offset() {
        return offset;
    }

    /** Whether the elements lie row-major, without gaps, from {@link #offset()}. */
    public boolean isContiguous() {
        if (numel() == 0) {
            return true;
        }
        int expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    public Allocation allocation() {
        return memory;
    }

    /** Whether this array's memory is still valid (its scope is open). */
    public boolean isAlive() {
        return memory.isAlive();
    }

    /**
     * The whole allocation's memory (element {@code i} of a contiguous array is at byte
     * {@code (offset() + i) * 4}).
     *
     * @throws IllegalStateException when the array's scope has closed
     */
    public MemorySegment segment() {
        return memory.segment();
    }

    // ---- element access (a slow path, for tests, printing and small work)

    private long elementIndex(int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index of rank " + index.length + " for an array of shape "
                    + Shapes.str(shape));
        }
        long e = offset;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + java.util.Arrays.toString(index)
                        + " is outside shape " + Shapes.str(shape));
            }
            e += (long) index[i] * strides[i];
        }
        return e;
    }

    public float getFloat(int... index) {
        requireDType(DType.FLOAT32, "getFloat");
        return segment().getAtIndex(F32, elementIndex(index));
    }

    public void setFloat(float value, int... index) {
        requireDType(DType.FLOAT32, "setFloat");
        segment().setAtIndex(F32, elementIndex(index), value);
    }

    public int getInt(int... index) {
        requireDType(DType.INT32, "getInt");
        return segment().getAtIndex(I32, elementIndex(index));
    }

    public void setInt(int value, int... index) {
        requireDType(DType.INT32, "setInt");
        segment().setAtIndex(I32, elementIndex(index), value);
    }

    /** The elements in row-major order as floats (int32 arrays are converted). */
    public float[] toFloatArray() {
        NDArray c = contiguous();
        MemorySegment seg = c.segment();
        float[] out = new float[Math.toIntExact(c.numel())];
        if (dtype == DType.FLOAT32) {
            MemorySegment.copy(seg, F32, c.offset * 4, out, 0, out.length);
        } else {
            for (int i = 0; i < out.length; i++) {
                out[i] = seg.getAtIndex(I32, c.offset + i);
            }
        }
        return out;
    }

    /** The elements in row-major order as ints; only for int32 arrays. */
    public int[] toIntArray() {
        requireDType(DType.INT32, "toIntArray");
        NDArray c = contiguous();
        int[] out = new int[Math.toIntExact(c.numel())];
        MemorySegment.copy(c.segment(), I32, c.offset * 4, out, 0, out.length);
        return out;
    }

    private void requireDType(DType expected, String op) {
        if (dtype != expected) {
            throw new IllegalArgumentException(op + ": needs a " + expected + " array, this one is " + dtype);
        }
    }

    // ---- views

    /**
     * The same elements with another shape (one extent may be -1). A view when this array is
     * contiguous; otherwise a contiguous copy is reshaped.
     */
    public NDArray reshape(int... newShape) {
        int[] target = newShape.clone();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < target.length; i++) {
            if (target[i] == -1) {
                if (inferred >= 0) {
                    throw new IllegalArgumentException("reshape: more than one -1 in " + Shapes.str(newShape));
                }
                inferred = i;
            } else if (target[i] < 0) {
                throw new IllegalArgumentException("reshape: negative extent in " + Shapes.str(newShape));
            } else {
                known *= target[i];
            }
        }
        if (inferred >= 0) {
            if (known == 0 || numel() % known != 0) {
                throw new IllegalArgumentException("reshape: cannot reshape " + Shapes.str(shape) + " to "
                        + Shapes.str(newShape));
            }
            target[inferred] = (int) (numel() / known);
        }
        if (Shapes.numel(target) != numel()) {
            throw new IllegalArgumentException("reshape: " + Shapes.str(shape) + " (" + numel()
                    + " elements) cannot become " + Shapes.str(newShape));
        }
        NDArray base = isContiguous() ? this : contiguous();
        return new NDArray(base.memory, dtype, target, Shapes.contiguousStrides(target), base.offset);
    }

    /** A view with the dimensions reordered: dimension i of the result is {@code dims[i]} of this. */
    public NDArray permute(int... dims) {
        if (dims.length != shape.length) {
            throw new IllegalArgumentException("permute: " + dims.length + " dimensions given for rank " + shape.length);
        }
        int[] newShape = new int[dims.length];
        int[] newStrides = new int[dims.length];
        boolean[] used = new boolean[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = Shapes.axis("permute", dims[i], shape.length);
            if (used[d]) {
                throw new IllegalArgumentException("permute: dimension " + d + " repeated in "
                        + java.util.Arrays.toString(dims));
            }
            used[d] = true;
            newShape[i] = shape[d];
            newStrides[i] = strides[d];
        }
        return new NDArray(memory, dtype, newShape, newStrides, offset);
    }

    /** A view with two dimensions swapped. */
    public NDArray transpose(int dim0, int dim1) {
        int[] order = new int[shape.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        int a = Shapes.axis("transpose", dim0, shape.length);
        int b = Shapes.axis("transpose", dim1, shape.length);
        order[a] = b;
        order[b] = a;
        return permute(order);
    }

    /** A view of indices [start, end) along one dimension. */
    public NDArray slice(int dim, int start, int end) {
        int d = Shapes.axis("slice", dim, shape.length);
        if (start < 0 || end > shape[d] || start > end) {
            throw new IllegalArgumentException("slice: [" + start + ", " + end + ") is outside dimension " + d
                    + " of extent " + shape[d]);
        }
        int[] newShape = shape.clone();
        newShape[d] = end - start;
        return new NDArray(memory, dtype, newShape, strides.clone(), offset + (long) start * strides[d]);
    }

    /** A view of one index along a dimension, which disappears (rank drops by one). */
    public NDArray select(int dim, int index) {
        int d = Shapes.axis("select", dim, shape.length);
        if (index < 0 || index >= shape[d]) {
            throw new IndexOutOfBoundsException("select: index " + index + " is outside dimension " + d
                    + " of extent " + shape[d]);
        }
        int[] newShape = new int[shape.length - 1];
        int[] newStrides = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i != d) {
                newShape[j] = shape[i];
                newStrides[j++] = strides[i];
            }
        }
        return new NDArray(memory, dtype, newShape, newStrides, offset + (long) index * strides[d]);
    }

    /**
     * A read-only-in-spirit view repeating this array along broadcast dimensions (stride 0), NumPy
     * rules. Writing into it writes the shared elements.
     */
    public NDArray broadcastTo(int... target) {
        int[] out = Shapes.broadcast("broadcastTo", shape, target);
        if (!java.util.Arrays.equals(out, target)) {
            throw new IllegalArgumentException("broadcastTo: " + Shapes.str(shape) + " cannot be broadcast to "
                    + Shapes.str(target));
        }
        int[] newStrides = new int[target.length];
        int lead = target.length - shape.length;
        for (int i = 0; i < shape.length; i++) {
            newStrides[lead + i] = shape[i] == target[lead + i] ? strides[i] : 0;
        }
        return new NDArray(memory, dtype, target.clone(), newStrides, offset);
    }

    /** This array if it is contiguous, else a contiguous copy in the current scope. */
    public NDArray contiguous() {
        if (isContiguous()) {
            return this;
        }
        NDArray out = NDArrays.empty(dtype, shape);
        StridedCopy.copy(this, out);
        return out;
    }

    @Override
    public String toString() {
        return "NDArray(" + dtype + ", " + Shapes.str(shape) + ", " + device() + (isAlive() ? "" : ", freed") + ")";
    }
}
