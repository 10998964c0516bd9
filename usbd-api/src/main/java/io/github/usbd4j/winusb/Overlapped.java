package io.github.usbd4j.winusb;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * {@code OVERLAPPED}: the completion of one asynchronous WinUSB call, as a Java future and an optional
 * callback (in place of {@code hEvent}). Pass a fresh or completed one to each call; read the outcome with
 * {@link WinUsb#getOverlappedResult} or from {@link #completion()}.
 */
public final class Overlapped {
    private final Consumer<Overlapped> callback;
    private volatile CompletableFuture<Overlapped> completion = new CompletableFuture<>();
    private volatile int internal;
    private volatile boolean inUse;

    /** An OVERLAPPED without a callback: wait on {@link #completion()} or {@link WinUsb#getOverlappedResult}. */
    public Overlapped() {
        this(null);
    }

    /**
     * An OVERLAPPED whose callback runs when the I/O completes, on the runtime's callback executor.
     *
     * @param callback called once per I/O; may be {@code null}
     */
    public Overlapped(Consumer<Overlapped> callback) {
        this.callback = callback;
    }

    /** Completes when the current I/O is done; never exceptionally. */
    public CompletableFuture<Overlapped> completion() {
        return completion;
    }

    /** {@code HasOverlappedIoCompleted}. */
    public boolean hasOverlappedIoCompleted() {
        return !inUse;
    }

    /** The I/O's Win32 result ({@code OVERLAPPED.Internal}): {@code ERROR_SUCCESS} or the failure. */
    public int internal() {
        return internal;
    }

    /**
     * Claims this OVERLAPPED for a new I/O. The runtime calls this when an overlapped call is accepted.
     *
     * @return {@code false} if an I/O is still pending on it
     */
    public synchronized boolean begin() {
        if (inUse) {
            return false;
        }
        inUse = true;
        internal = 0;
        if (completion.isDone()) {
            completion = new CompletableFuture<>();
        }
        return true;
    }

    /**
     * Records the I/O's result and signals it, as the system writes {@code OVERLAPPED.Internal} and sets
     * {@code hEvent}. The runtime calls this; applications do not.
     *
     * @param win32Error {@code ERROR_SUCCESS} or the failure
     */
    public void signal(int win32Error) {
        CompletableFuture<Overlapped> c;
        synchronized (this) {
            internal = win32Error;
            inUse = false;
            c = completion;
        }
        c.complete(this); // first: a callback that starts the next I/O must get a fresh future from begin()
        if (callback != null) {
            callback.accept(this);
        }
    }
}
