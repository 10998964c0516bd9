package io.github.usbd4j.winusb;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * {@code OVERLAPPED}: the completion of one asynchronous WinUSB call, as a Java future and an optional
 * callback (in place of {@code hEvent}). Pass a fresh or completed one to each call; read the outcome with
 * {@link WinUsb#getOverlappedResult} or from {@link #completion()}.
 *
 * <p>An I/O allocates nothing here unless its future is asked for: {@link #completion()} makes it on first
 * call (already completed if the I/O is done), so a stream that waits with
 * {@link WinUsb#getOverlappedResult} or a callback reuses one {@code Overlapped} without garbage.
 */
public final class Overlapped {
    private final Consumer<Overlapped> callback;
    /** The current I/O's future, made when {@link #completion()} first asks for it (guarded by this). */
    private CompletableFuture<Overlapped> completion;
    /** The current I/O has been signalled (guarded by this); cleared by {@link #begin()}. */
    private boolean signalled;

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

    /**
     * Completes when the current I/O is done (before any I/O: when the first one is); never exceptionally.
     * The same future until the next I/O begins.
     */
    public synchronized CompletableFuture<Overlapped> completion() {
        CompletableFuture<Overlapped> c = completion;
        if (c == null) {
            c = new CompletableFuture<>();
            if (signalled) {
                c.complete(this);
            }
            completion = c;
        }
        return c;
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
        signalled = false;
        if (completion != null && completion.isDone()) {
            completion = null; // the new I/O's future is made if someone asks for it
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
            signalled = true;
            c = completion;
        }
        if (c != null) {
            c.complete(this); // first: a callback that starts the next I/O must get a fresh future from begin()
        }
        if (callback != null) {
            callback.accept(this);
        }
    }
}
