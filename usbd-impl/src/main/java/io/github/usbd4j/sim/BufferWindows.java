package io.github.usbd4j.sim;

import java.nio.ByteBuffer;

/**
 * The windows through which one endpoint's handler sees the transfer buffers: a writable view for IN
 * packets, a read-only one for OUT packets, kept for the last {@value #SLOTS} buffers the endpoint saw. A
 * driver streams through a few buffers of its own, which the runtime pairs with whichever pooled transfer
 * is free (a transfer closed in its callback returns to its pool only after the callback, so the pairing
 * rotates); keyed by buffer, the views are made once per buffer, not once per transfer. Guarded by the
 * controller's lock, as the endpoint is.
 */
final class BufferWindows {
    /** More buffers than a driver keeps in flight on one endpoint (CE drivers use 2 to 8). */
    static final int SLOTS = 16;

    private final ByteBuffer[] buffers = new ByteBuffer[SLOTS];
    private final ByteBuffer[] writable = new ByteBuffer[SLOTS];
    private final ByteBuffer[] readOnly = new ByteBuffer[SLOTS];
    private int last;
    private int nextSlot;

    /**
     * A window onto {@code length} bytes of {@code buffer} at {@code offset}: position there, limit at its
     * end, big-endian (as {@code duplicate()} makes it). No copy, and no allocation while the driver keeps
     * reusing its buffers.
     */
    @SuppressWarnings("ReferenceEquality") // the same buffer object, not an equal one, keeps its views
    ByteBuffer window(ByteBuffer buffer, int offset, int length, boolean forWriting) {
        int slot = last;
        if (buffers[slot] != buffer) {
            slot = -1;
            for (int i = 0; i < SLOTS; i++) {
                if (buffers[i] == buffer) {
                    slot = i;
                    break;
                }
            }
            if (slot < 0) { // a new buffer takes the oldest slot
                slot = nextSlot;
                nextSlot = (nextSlot + 1) % SLOTS;
                buffers[slot] = buffer;
                writable[slot] = null;
                readOnly[slot] = null;
            }
            last = slot;
        }
        ByteBuffer w;
        if (forWriting) {
            w = writable[slot];
            if (w == null) {
                w = buffer.duplicate();
                writable[slot] = w;
            }
        } else {
            w = readOnly[slot];
            if (w == null) {
                w = buffer.asReadOnlyBuffer();
                readOnly[slot] = w;
            }
        }
        w.clear().position(offset).limit(offset + length);
        return w;
    }

    /** Drops every buffer, so that an endpoint nobody streams on keeps none of a driver's memory alive. */
    void clear() {
        java.util.Arrays.fill(buffers, null);
        java.util.Arrays.fill(writable, null);
        java.util.Arrays.fill(readOnly, null);
        last = 0;
        nextSlot = 0;
    }
}
