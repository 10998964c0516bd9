package io.github.usbd4j.internal.engine;

import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One use of a pooled transfer: the engine's side of a CE {@code USB_TRANSFER}, a WinUSB I/O or a WDM URB
 * ([§1.7](reference/ce-usbd.html#s1-7)). A pipe hands it out ({@link EnginePipe#acquire()}), a personality prepares its
 * {@link #backend()} request, the engine submits it, the backend completes it, its callback runs, and the
 * client closes it; then it goes back to the pipe's pool for the next use.
 *
 * <p><b>One state machine.</b> The whole lifecycle is one state word (state, generation, pins), changed only
 * by {@link #fire}, with a compare-and-set (and by {@link #acquire}: ACQUIRE, which no other event can race, with
 * an ordered write). Every transition not in the table below throws
 * {@link IllegalStateException}: a second completion, a completion before submission, a second callback.
 *
 * <pre>
 *   FREE ──acquire──▶ ISSUING ──submit──▶ PENDING ──complete──▶ CALLBACK_DUE ──start──▶ IN_CALLBACK ──end──▶ DONE
 *                        │                  │  │                (no callback: straight to DONE)                │
 *                        └──refuse──▶ FREE  │  └──cancel──▶ CANCELLING ──complete──▶ (as from PENDING)        close
 *                                 refuse ◀──┘                                                                 ▼
 *   close moves each state to its _CLOSED twin (PENDING and CANCELLING to CANCELLING_CLOSED), which ends    FREE
 *   in FREE instead of DONE. A move into FREE while pins are held lands in RETIRED; the last unpin frees it.
 * </pre>
 *
 * <p><b>Generations.</b> Each {@code acquire} starts a new generation. Handles and snapshots remember the
 * generation they were made for; an event for an older one answers {@link #STALE} and changes nothing, so a
 * stale handle can never reach a later use of the same object.
 *
 * <p><b>Pins.</b> A cancel reaches the backend after its state change, outside any lock. Between the two, the
 * transfer could complete, be closed and be reused, and the backend would cancel the wrong submission. So
 * {@code cancel} and {@code close} of a transfer in flight take a pin in the same compare-and-set, and the
 * transfer cannot return to its pool (RETIRED instead of FREE) until the canceller unpins it. Completion of a
 * transfer without a callback holds a pin the same way while it runs the owner's hooks (one with a callback
 * cannot be recycled before its callback starts).
 *
 * <p><b>Waiting.</b> Waiting for completion ({@link #awaitCompletion}) and waiting for the callback to have run
 * ({@link #awaitSettled}) are distinct; every transition wakes every waiter.
 */
public final class Transfer implements BackendTransfer.Listener {

    // ---- states ------------------------------------------------------------------------------------

    static final int FREE = 0;
    static final int ISSUING = 1;
    static final int PENDING = 2;
    static final int CANCELLING = 3;
    static final int CANCELLING_CLOSED = 4;
    static final int CALLBACK_DUE = 5;
    static final int CALLBACK_DUE_CLOSED = 6;
    static final int IN_CALLBACK = 7;
    static final int IN_CALLBACK_CLOSED = 8;
    static final int DONE = 9;
    static final int RETIRED = 10;

    private static final String[] NAMES = {
        "FREE",
        "ISSUING",
        "PENDING",
        "CANCELLING",
        "CANCELLING_CLOSED",
        "CALLBACK_DUE",
        "CALLBACK_DUE_CLOSED",
        "IN_CALLBACK",
        "IN_CALLBACK_CLOSED",
        "DONE",
        "RETIRED"
    };

    /** What can happen to a transfer. */
    enum Event {
        /** The pipe hands it out for a new use (a new generation). */
        ACQUIRE,
        /** The engine hands it to the backend. */
        SUBMIT,
        /** The submission was refused (or the pipe closed first): back to the pool, no callback. */
        REFUSE,
        /** Cancel requested (the kernel's unlink); pins it when the backend must be told. */
        CANCEL,
        /** The backend completed it; pins it while completion runs. */
        COMPLETE,
        /** Its callback starts. */
        CALLBACK_START,
        /** Its callback returned. */
        CALLBACK_END,
        /** The client closed it; pins it when the backend must be told to cancel. */
        CLOSE,
        /** Keeps it out of the pool. */
        PIN,
        /** Releases a pin. */
        UNPIN
    }

    /** {@link #fire} result: a legal event that changed nothing (a cancel of a complete transfer). */
    public static final long NO_CHANGE = -1;
    /** {@link #fire} result: the event names a generation that is over, or a use already closed. */
    public static final long STALE = -2;
    /** Generation argument that matches any generation (events of the engine's own making). */
    static final int ANY = -1;

    private static final AtomicLong SERIALS = new AtomicLong();

    private static final int GENERATION_MASK = 0x7FFF_FFFF;
    private static final int MAX_PINS = 0xFFFF;
    private static final VarHandle WORD;

    static {
        try {
            WORD = MethodHandles.lookup().findVarHandle(Transfer.class, "word", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** generation (bits 32..62), pins (bits 8..23), state (bits 0..7); only {@link #fire} writes it. */
    private volatile long word;

    /** Threads in {@link #awaitCompletion} or {@link #awaitSettled}; changed under this object's monitor. */
    private volatile int waiters;

    final EnginePipe pipe;
    private final BackendTransfer backend = new BackendTransfer(this);
    private final long serial = SERIALS.incrementAndGet();

    // the current use's request, written by the issuing thread before SUBMIT publishes it
    private TransferOwner owner;
    private boolean withCallback;
    private Object personalityState;
    /** Set by {@link EnginePipe#acquireScheduled}: the start frame, or a {@link StartFramePolicy} failure code. */
    long scheduledStart;
    // the pipe's stream before and after this use was scheduled, to give its frames back if it is refused
    long streamBefore;
    long streamAfter;
    boolean streamingBefore;
    /** The personality's handle object for this use: set by the pipe under its lock, or by the issuer before SUBMIT. */
    Object handle;

    // links, guarded by the pipe (live list, pool) or by the callback queue
    Transfer prevLive;
    Transfer nextLive;
    Transfer nextFree;
    Transfer nextCallback;

    Transfer(EnginePipe pipe) {
        this.pipe = pipe;
    }

    static int state(long word) {
        return (int) (word & 0xFF);
    }

    static int pins(long word) {
        return (int) (word >>> 8) & 0xFFFF;
    }

    static int generation(long word) {
        return (int) (word >>> 32);
    }

    private static long word(int generation, int pins, int state) {
        return (long) generation << 32 | (long) pins << 8 | state;
    }

    private static boolean isClosedOrGone(int s) {
        return s == CANCELLING_CLOSED
                || s == CALLBACK_DUE_CLOSED
                || s == IN_CALLBACK_CLOSED
                || s == FREE
                || s == RETIRED;
    }

    private static boolean inFlight(int s) {
        return s == PENDING || s == CANCELLING || s == CANCELLING_CLOSED;
    }

    /** Neither with the backend nor owing a callback. */
    static boolean isSettledState(int s) {
        return s == FREE || s == ISSUING || s == DONE || s == RETIRED;
    }

    private static boolean isCompleteState(int s) {
        return s >= CALLBACK_DUE && s <= DONE;
    }

    // ---- the one method that changes the state -----------------------------------------------------

    /**
     * Applies an event: the only way the state changes.
     *
     * @param e the event
     * @param gen the generation it is meant for, or {@link #ANY}
     * @return the new state word; {@link #NO_CHANGE} for a legal event that changes nothing; {@link #STALE}
     *     when {@code gen} is over or the use is already closed
     * @throws IllegalStateException for an event the state machine does not allow in the current state
     */
    long fire(Event e, int gen) {
        while (true) {
            long w = word;
            if (gen != ANY && generation(w) != gen) {
                return STALE;
            }
            long n = next(w, e);
            if (n < 0) {
                return n;
            }
            if (WORD.compareAndSet(this, w, n)) {
                after(state(w), state(n));
                return n;
            }
        }
    }

    /**
     * Applies ACQUIRE, the one event with a plain ordered write instead of {@link #fire}'s compare-and-set: it
     * leaves FREE without pins, where every other event is STALE or illegal, so no other thread can change the
     * word at the same time; and the pipe's lock, under which it runs, orders one acquisition after another.
     */
    void acquire() {
        long w = word;
        long n = next(w, Event.ACQUIRE);
        WORD.setRelease(this, n);
        after(state(w), state(n));
    }

    /** The transition table. */
    private long next(long w, Event e) {
        int s = state(w);
        int pins = pins(w);
        int g = generation(w);
        return switch (e) {
            case ACQUIRE -> {
                require(s == FREE && pins == 0, e, w);
                yield word((g + 1) & GENERATION_MASK, 0, ISSUING);
            }
            case SUBMIT -> {
                require(s == ISSUING, e, w);
                yield word(g, pins, PENDING);
            }
            case REFUSE -> {
                require(s == ISSUING || s == PENDING || s == CANCELLING, e, w);
                yield released(g, pins);
            }
            case CANCEL -> {
                if (s == PENDING) {
                    yield word(g, pin(pins, e, w), CANCELLING);
                }
                yield isClosedOrGone(s) || s == ISSUING ? STALE : NO_CHANGE;
            }
            case COMPLETE -> {
                require(s == PENDING || s == CANCELLING || s == CANCELLING_CLOSED, e, w);
                // without a callback the client may close and recycle it at once: pinned while completing
                int held = withCallback ? pins : pin(pins, e, w);
                if (s == CANCELLING_CLOSED) {
                    yield withCallback ? word(g, held, CALLBACK_DUE_CLOSED) : word(g, held, RETIRED);
                }
                yield word(g, held, withCallback ? CALLBACK_DUE : DONE);
            }
            case CALLBACK_START -> {
                require(s == CALLBACK_DUE || s == CALLBACK_DUE_CLOSED, e, w);
                yield word(g, pins, s == CALLBACK_DUE ? IN_CALLBACK : IN_CALLBACK_CLOSED);
            }
            case CALLBACK_END -> {
                require(s == IN_CALLBACK || s == IN_CALLBACK_CLOSED, e, w);
                yield s == IN_CALLBACK ? word(g, pins, DONE) : released(g, pins);
            }
            case CLOSE -> {
                if (isClosedOrGone(s)) {
                    yield STALE;
                }
                require(s != ISSUING, e, w);
                yield switch (s) {
                    // from either, the closer is told to (re)send the cancel: pinned for it
                    case PENDING, CANCELLING -> word(g, pin(pins, e, w), CANCELLING_CLOSED);
                    case CALLBACK_DUE -> word(g, pins, CALLBACK_DUE_CLOSED);
                    case IN_CALLBACK -> word(g, pins, IN_CALLBACK_CLOSED);
                    default -> released(g, pins); // DONE
                };
            }
            case PIN -> s == FREE || s == RETIRED ? STALE : word(g, pin(pins, e, w), s);
            case UNPIN -> {
                require(pins > 0, e, w);
                yield s == RETIRED && pins == 1 ? word(g, 0, FREE) : word(g, pins - 1, s);
            }
        };
    }

    private static long released(int g, int pins) {
        return word(g, pins, pins > 0 ? RETIRED : FREE);
    }

    private static int pin(int pins, Event e, long w) {
        require(pins < MAX_PINS, e, w);
        return pins + 1;
    }

    private static void require(boolean legal, Event e, long w) {
        if (!legal) {
            throw new IllegalStateException("transfer event " + e + " is not allowed in state " + NAMES[state(w)]
                    + " (generation " + generation(w) + ", " + pins(w) + " pins)");
        }
    }

    /** What every transition entails: recycling, waking waiters, telling a closing pipe. */
    private void after(int from, int to) {
        if (to == FREE) {
            TransferOwner o = owner;
            owner = null;
            withCallback = false;
            if (o != null) {
                o.recycled(this);
            }
            if (backend.phase() != BackendTransfer.Phase.SUBMITTED) { // else a backend broke its contract
                backend.clear();
            }
            pipe.recycle(this);
        }
        if (waiters != 0) {
            synchronized (this) {
                notifyAll();
            }
        }
        if (from != to && isSettledState(to) && pipe.isClosing()) {
            pipe.transferSettled();
        }
    }

    // ---- the current use ---------------------------------------------------------------------------

    /**
     * Sets who issued this use and whether it has a callback; between {@link EnginePipe#acquire()} and
     * {@link Engine#submit}.
     *
     * @param owner the personality's hooks
     * @param withCallback whether {@link TransferOwner#callback} is to run on completion
     * @throws IllegalStateException unless the transfer is being issued
     */
    public void begin(TransferOwner owner, boolean withCallback) {
        if (state(word) != ISSUING) {
            throw new IllegalStateException("begun while " + NAMES[state(word)] + ": acquire it from its pipe first");
        }
        this.owner = owner;
        this.withCallback = withCallback;
    }

    /**
     * The start frame {@link EnginePipe#acquireScheduled} chose for this use, or the {@link StartFramePolicy}
     * failure code ({@link StartFramePolicy#CANNOT_MEET}, {@link StartFramePolicy#OUT_OF_WINDOW},
     * {@link StartFramePolicy#CANNOT_CONTINUE}) when it found none.
     */
    public long scheduledStart() {
        return scheduledStart;
    }

    /** The request and, once complete, the neutral results (per-packet {@link PacketStatus}, lengths, start). */
    public BackendTransfer backend() {
        return backend;
    }

    /** The pipe it belongs to. */
    public EnginePipe pipe() {
        return pipe;
    }

    /**
     * A number no other transfer object of this JVM has, the same for every use of this one: what a capture
     * pairs a submission with its completion by (usbmon's URB id, the URB's address, is reused the same way).
     */
    public long serial() {
        return serial;
    }

    /** Who issued the current use ({@link #begin}); {@code null} for the engine's own requests. */
    public TransferOwner owner() {
        return owner;
    }

    /** The current generation (one per use). */
    public int generation() {
        return generation(word);
    }

    /** A personality's own per-object state, kept across uses (e.g. CE's request record). */
    public Object personalityState() {
        return personalityState;
    }

    /**
     * Attaches a personality's own state; it stays across uses of this object.
     *
     * @param state the state
     */
    public void setPersonalityState(Object state) {
        this.personalityState = state;
    }

    /**
     * The handle object that names this use to its client (CE's {@code USB_TRANSFER}), when the pipe keeps a
     * handle quarantine ({@link EnginePipe#quarantineHandles}): the oldest handle that has waited out the
     * quarantine, given with the transfer by {@link EnginePipe#acquire()}, or {@code null} when none has (make
     * one and {@link #setHandle set} it). The pipe retires it into the quarantine when this use is recycled.
     */
    public Object handle() {
        return handle;
    }

    /**
     * Sets the handle object of this use, between acquiring and submitting it (see {@link #handle()}).
     *
     * @param h the handle
     */
    public void setHandle(Object h) {
        this.handle = h;
    }

    /** Whether this use was issued with a callback. */
    public boolean hasCallback() {
        return withCallback;
    }

    /**
     * Whether {@code gen} is the current use and its client has not closed it: what a valid handle needs.
     *
     * @param gen the handle's generation
     */
    public boolean isOpen(int gen) {
        long w = word;
        int s = state(w);
        return generation(w) == gen && !isClosedOrGone(s) && s != ISSUING;
    }

    /**
     * Whether use {@code gen} is complete: results final (callback due, running or run).
     *
     * @param gen the generation
     */
    public boolean isComplete(int gen) {
        long w = word;
        return generation(w) == gen && isCompleteState(state(w));
    }

    /**
     * Whether use {@code gen} is still with the backend.
     *
     * @param gen the generation
     */
    public boolean isInFlight(int gen) {
        long w = word;
        return generation(w) == gen && inFlight(state(w));
    }

    /**
     * Whether use {@code gen} is over as far as callbacks go: complete with its callback run (or none), or
     * recycled, or never submitted.
     *
     * @param gen the generation
     */
    public boolean isSettled(int gen) {
        long w = word;
        return generation(w) != gen || isSettledState(state(w));
    }

    /** Whether the current use has a cancellation requested (or was closed while pending). */
    boolean isCancelling(int gen) {
        long w = word;
        int s = state(w);
        return generation(w) == gen && (s == CANCELLING || s == CANCELLING_CLOSED);
    }

    /** The transfer was cut short: cancelled, closed while pending, or its device left. */
    public boolean wasCancelled() {
        PacketStatus s = backend.status();
        return s == PacketStatus.CANCELED || s == PacketStatus.DEVICE_GONE;
    }

    /** Whether the request is isochronous. */
    public boolean isIsochronous() {
        return backend.type() == TransferType.ISOCHRONOUS;
    }

    // ---- completion, on the backend's thread --------------------------------------------------------

    @Override
    public void completed(BackendTransfer t) {
        TransferOwner o = owner;
        boolean callback = withCallback;
        pipe.backendCompleted(t);
        TransferTap tap = pipe.engine.tap();
        if (tap != null) {
            tap.completed(this); // results final, the data as the bus delivered it, nobody told yet
        }
        if (o != null) {
            try {
                o.resultsReady(this);
            } catch (RuntimeException e) {
                pipe.engine.internalFailure("a transfer's results could not be finished", e);
            }
        }
        fire(Event.COMPLETE, ANY); // results final before anyone is told ([§1.7](reference/ce-usbd.html#s1-7))
        if (callback) { // it cannot be recycled before its callback, which only the queue starts
            if (o != null) {
                o.completed(this);
            }
            pipe.callbacks.enqueue(this);
            return;
        }
        try {
            if (o != null) {
                o.completed(this);
            }
        } finally {
            fire(Event.UNPIN, ANY); // COMPLETE pinned it
        }
    }

    /**
     * Runs the callback once ([§1.7](reference/ce-usbd.html#s1-7)), on the callback executor; called by the pipe's
     * callback queue.
     */
    void runCallback() {
        fire(Event.CALLBACK_START, ANY);
        try {
            owner.callback(this);
        } catch (RuntimeException e) {
            pipe.engine.callbackFailed(e);
        } finally {
            fire(Event.CALLBACK_END, ANY);
        }
    }

    // ---- waiting ------------------------------------------------------------------------------------

    /**
     * Blocks until use {@code gen} is no longer with the backend, or the time is up.
     *
     * @return {@code true} once it is complete (or refused, or recycled)
     * @throws InterruptedException if interrupted while waiting
     */
    boolean awaitCompletion(int gen, long nanos) throws InterruptedException {
        return await(gen, nanos, false);
    }

    /**
     * Blocks until use {@code gen} has settled (complete and its callback run), or the time is up.
     *
     * @return {@code true} once settled
     * @throws InterruptedException if interrupted while waiting
     */
    boolean awaitSettled(int gen, long nanos) throws InterruptedException {
        return await(gen, nanos, true);
    }

    private boolean await(int gen, long nanos, boolean settled) throws InterruptedException {
        if (settled ? isSettled(gen) : !isInFlight(gen)) {
            return true;
        }
        long deadline = System.nanoTime() + nanos;
        synchronized (this) {
            waiters++;
            try {
                while (settled ? !isSettled(gen) : isInFlight(gen)) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
                return true;
            } finally {
                waiters--;
            }
        }
    }

    @Override
    public String toString() {
        long w = word;
        return "Transfer[" + pipe + ", " + NAMES[state(w)] + ", generation " + generation(w) + "]";
    }
}
