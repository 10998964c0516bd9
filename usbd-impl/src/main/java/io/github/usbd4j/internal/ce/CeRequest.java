package io.github.usbd4j.internal.ce;

import io.github.usbd4j.ce.TransferNotifyRoutine;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.internal.engine.Transfer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
    volatile CeTransfer handle;
    /** {@link UsbTransfer#completion()}, made on demand (set once per use through {@link #FUTURE}). */
    volatile CompletableFuture<UsbTransfer> future;

    private static final VarHandle FUTURE;
    private static final VarHandle HANDLE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            FUTURE = l.findVarHandle(CeRequest.class, "future", CompletableFuture.class);
            HANDLE = l.findVarHandle(CeRequest.class, "handle", CeTransfer.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

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
        // release stores: the transfer's own state changes publish them; no fence needed per transfer
        HANDLE.setRelease(this, (CeTransfer) null);
        FUTURE.setRelease(this, (CompletableFuture<UsbTransfer>) null);
    }

    /** Records the handle of the current use (the value its future completes with). */
    void bind(CeTransfer h) {
        HANDLE.setRelease(this, h);
    }

    /** The future of the current use, made by the first caller. */
    CompletableFuture<UsbTransfer> future() {
        CompletableFuture<UsbTransfer> f = future;
        if (f == null) {
            CompletableFuture<UsbTransfer> made = new CompletableFuture<>();
            f = FUTURE.compareAndSet(this, null, made) ? made : future;
        }
        return f;
    }

    /** Drops every reference to the caller's objects. */
    void clear() {
        set(null, null, 0, Kind.DATA, null);
    }
}
