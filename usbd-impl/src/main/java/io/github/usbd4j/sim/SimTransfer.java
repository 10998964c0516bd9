package io.github.usbd4j.sim;

import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;

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

    /** Records the final result; the caller queues the transfer for {@link BackendTransfer#complete()}. */
    void finish(BackendTransfer t, PacketStatus status) {
        pending = false;
        t.setResult(status, total);
        t.setActualStartFrame(t.startFrame());
    }
}
