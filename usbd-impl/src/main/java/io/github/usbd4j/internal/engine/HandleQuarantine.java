package io.github.usbd4j.internal.engine;

import java.util.function.Supplier;

/**
 * Where closed handles wait before they are handed out again: a first-in first-out queue that gives back its
 * oldest handle only while more than {@link #capacity()} others wait behind it. A pipe retires a handle when the
 * transfer it named is closed and finished (back in the pipe's pool), so the handle is not reused before
 * {@code capacity} later transfers of that pipe have been retired too, and a stale reference to it (a driver that
 * closes twice, or keeps using a closed handle) finds a closed handle for at least that long; a steady stream,
 * once the queue is full, reuses its handles and allocates none.
 *
 * <p>Not thread-safe: the pipe that owns it ({@link EnginePipe}) uses it under its own lock, in the same hold that
 * hands out or takes back a transfer, so a stream pays no lock of its own for its handles.
 *
 * <p>Java cannot tell whether a stale reference still exists, so this is the one residual limit: after
 * {@code capacity} further retired handles, the same object may carry a newer transfer, and a call through the stale
 * reference reaches that transfer (as in CE, where "the memory may be recycled", [§1.7](reference/ce-usbd.html#s1-7)).
 * Memory: up to {@code capacity + 1} handles and one array slot each, allocated as retired handles accumulate
 * (or all at once by {@link #fill}).
 *
 * @param <T> the handle type
 */
public final class HandleQuarantine<T> {
    private final int capacity;
    private Object[] ring;
    private int head;
    private int size;

    /**
     * @param capacity how many later retired handles a retired handle waits out; at least 1
     */
    public HandleQuarantine(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("quarantine of " + capacity);
        }
        this.capacity = capacity;
        this.ring = new Object[Math.min(16, capacity + 1)];
    }

    /**
     * Fills the queue with new handles that have never named anything, as many as a full quarantine holds
     * ({@code capacity + 1}), so that handles are reused from the first one on and nothing is allocated later:
     * for a pipe that streams, whose handles would otherwise be made one per transfer until the queue is full,
     * garbage that a collector copies while the stream runs.
     *
     * @param make makes one handle
     */
    public void fill(Supplier<? extends T> make) {
        if (ring.length < capacity + 1) {
            grow(capacity + 1);
        }
        while (size < capacity + 1) {
            ring[(head + size) % ring.length] = make.get();
            size++;
        }
    }

    /** How many later retired handles a retired handle waits out before it may be reused. */
    public int capacity() {
        return capacity;
    }

    /**
     * The oldest closed handle, if it has waited out its quarantine.
     *
     * @return the handle to reuse, or {@code null}: make a new one
     */
    @SuppressWarnings("unchecked") // only T goes in
    public T take() {
        if (size <= capacity) {
            return null;
        }
        T h = (T) ring[head];
        ring[head] = null;
        head = (head + 1) % ring.length;
        size--;
        return h;
    }

    /**
     * Puts a closed handle at the back of the queue.
     *
     * @param handle the handle
     */
    public void retire(T handle) {
        if (size == ring.length && ring.length < capacity + 1) {
            grow(Math.min(ring.length * 2, capacity + 1));
        }
        if (size == ring.length) { // full at capacity + 1: nobody took the oldest; let it go
            head = (head + 1) % ring.length;
            size--;
        }
        ring[(head + size) % ring.length] = handle;
        size++;
    }

    /** Moves the waiting handles, oldest first, into a ring of {@code length} slots. */
    private void grow(int length) {
        Object[] bigger = new Object[length];
        for (int i = 0; i < size; i++) {
            bigger[i] = ring[(head + i) % ring.length];
        }
        ring = bigger;
        head = 0;
    }

    /** Handles waiting now. */
    public int size() {
        return size;
    }

    @Override
    public String toString() {
        return "HandleQuarantine[" + size + "/" + capacity + "]";
    }
}
