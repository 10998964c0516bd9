package io.github.usbd4j.sim;

import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;
import java.nio.ByteBuffer;

/**
 * The simulator's progress on one {@link BackendTransfer}, kept in its backend state so a pooled
 * transfer reuses it; guarded by the controller's lock.
 */
final class SimTransfer {
    SimulatedDevice device;
    EndpointState endpoint;
    boolean pending;
    /** Isochronous: next packet to run or skip. */
    int next;
    /** Isochronous: buffer offset of packet {@link #next}. Bulk: unused. */
    int nextOffset;
    /** Bytes transferred so far. */
    int total;

    /** The buffer {@link #window} views; the views are kept while the caller reuses its buffer. */
    private ByteBuffer viewed;

    private ByteBuffer writable;
    private ByteBuffer readOnly;

    static SimTransfer of(BackendTransfer t) {
        if (t.backendState() instanceof SimTransfer s) {
            return s;
        }
        SimTransfer s = new SimTransfer();
        t.setBackendState(s);
        return s;
    }

    void begin(SimulatedDevice device, EndpointState endpoint, BackendTransfer t) {
        this.device = device;
        this.endpoint = endpoint;
        this.pending = true;
        this.next = 0;
        this.nextOffset = t.offset();
        this.total = 0;
    }

    /**
     * A window onto {@code length} bytes of the transfer's buffer at {@code offset}: position there, limit
     * at its end, big-endian (as {@code duplicate()} makes it). IN packets are written in place through a
     * writable window; OUT packets are read through a read-only one. No copy, and no allocation while the
     * caller keeps reusing its buffer.
     */
    ByteBuffer window(ByteBuffer buffer, int offset, int length, boolean forWriting) {
        if (buffer != viewed) {
            viewed = buffer;
            writable = null;
            readOnly = null;
        }
        ByteBuffer w;
        if (forWriting) {
            if (writable == null) {
                writable = buffer.duplicate();
            }
            w = writable;
        } else {
            if (readOnly == null) {
                readOnly = buffer.asReadOnlyBuffer();
            }
            w = readOnly;
        }
        w.clear().position(offset).limit(offset + length);
        return w;
    }

    /** Records the final result; the caller queues the transfer for {@link BackendTransfer#complete()}. */
    void finish(BackendTransfer t, PacketStatus status) {
        pending = false;
        t.setResult(status, total);
        t.setActualStartFrame(t.startFrame());
    }
}
