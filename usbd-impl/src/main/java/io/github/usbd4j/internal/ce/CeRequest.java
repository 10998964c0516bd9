package io.github.usbd4j.internal.ce;

import io.github.usbd4j.ce.TransferNotifyRoutine;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.internal.engine.Transfer;
import java.util.concurrent.CompletableFuture;

/**
 * What a CE call asked of one engine transfer: its callback and notify parameter, its flags, and where a
 * standard request writes its answer. Kept with the pooled transfer ({@link Transfer#personalityState()})
 * and reused, so issuing allocates nothing.
 */
final class CeRequest {

    /** What to do with a control transfer's data beyond returning it. */
    enum Kind {
        /** Nothing. */
        DATA,
        /** {@code GetInterface}: the alternate setting into the caller's out-parameter. */
        GET_INTERFACE,
        /** {@code GetStatus}: the 16-bit status into the caller's out-parameter. */
        GET_STATUS,
        /** {@code SyncFrame}: the 16-bit frame number into the caller's out-parameter. */
        SYNC_FRAME
    }

    TransferNotifyRoutine routine;
    Object parameter;
    int flags;
    Kind kind = Kind.DATA;
    int[] out;
    /** The handle of the current use, once issued (the value of its future). */
    CeTransfer handle;
    /** {@link UsbTransfer#completion()}, made on demand; guarded by this. */
    CompletableFuture<UsbTransfer> future;

    static CeRequest of(Transfer t) {
        if (t.personalityState() instanceof CeRequest r) {
            return r;
        }
        CeRequest r = new CeRequest();
        t.setPersonalityState(r);
        return r;
    }

    void set(TransferNotifyRoutine routine, Object parameter, int flags, Kind kind, int[] out) {
        this.routine = routine;
        this.parameter = parameter;
        this.flags = flags;
        this.kind = kind;
        this.out = out;
        this.handle = null;
        synchronized (this) {
            this.future = null;
        }
    }

    /** Drops every reference to the caller's objects. */
    void clear() {
        set(null, null, 0, Kind.DATA, null);
    }
}
