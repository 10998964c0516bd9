package io.github.usbd4j.internal.engine;

import io.github.usbd4j.descriptor.DescriptorException;
import io.github.usbd4j.descriptor.Descriptors;
import io.github.usbd4j.descriptor.Endpoints;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BusClock;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.host.spi.HostListener;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transfer engine: what every personality (CE, WinUSB, WDM) runs on, and none of their rules. It owns
 * the devices a backend reports, their pipes and transfers, and the one lifecycle of a transfer
 * ({@link Transfer}). Its API:
 *
 * <ul>
 *   <li>pipes: {@link #openPipe}, {@link #closePipe} (cancels newest first, waits), {@link #abortPipe};
 *   <li>transfers: {@link EnginePipe#acquire()} then {@link #submit}; {@link #cancel} (asynchronous, the
 *       kernel's <i>unlink</i>); {@link #cancelAndWait} (the kernel's <i>kill</i>); {@link #close} (the
 *       client is done with it); {@link #awaitCompletion};
 *   <li>handle validation: {@link #device(Object)} here, {@link Transfer#isOpen(int)} per use;
 * <li>devices: attach and {@link #detach} with CE's ordering ([§1.5](reference/ce-usbd.html#s1-5)): every pipe closed,
 *       newest first, its transfers cancelled newest first and their callbacks run, then
 *       {@link DeviceLifecycle#detached}.
 * </ul>
 *
 * <p>Results are recorded neutrally: per-packet {@link PacketStatus}, lengths and start frame in each
 * transfer's {@link Transfer#backend()}; each personality translates them into its own codes when asked.
 *
 * <p><b>Waits.</b> Waiting for completion is bounded by the caller (CE: 1000 ms in {@code CloseTransfer},
 * 10 s in {@code AbortTransfer}, [§1.7](reference/ce-usbd.html#s1-7)). On a virtual clock a wait runs the bus until the
 * condition holds. A thread that must deliver completions itself (the backend's event thread, where callbacks may run)
 * waits by delivering them ({@link HostController#runCompletionsUntil}) where the backend can, else cannot wait: {@link
 * #canBlock()} says so and the waits return at once. Inside a callback nothing waits for another callback.
 */
public final class Engine implements HostListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

    /**
     * CE's {@code AbortTransfer} guard: it waits at most 10 s for the cancellation
     * ([§1.7](reference/ce-usbd.html#s1-7)).
     */
    public static final long ABORT_WAIT_MILLIS = 10_000;

    /**
     * CE's {@code CloseTransfer} bound: 1000 aborts 1 ms apart until the transfer is complete
     * ([§1.7](reference/ce-usbd.html#s1-7)).
     */
    public static final long CLOSE_WAIT_MILLIS = 1_000;

    /** How long a detach or a pipe close waits for callbacks before it lets the last one finish the job. */
    static final long QUIET_WAIT_MILLIS = 10_000;

    /**
     * {@link #QUIET_WAIT_MILLIS}, but for tests: one that asserts a close does not wait for callbacks sets it beyond
     * its hang guard, so that such a wait fails it as a hang instead of being timed on the wall clock.
     */
    private volatile long quietWaitMillis = QUIET_WAIT_MILLIS;

    /** How a submission went. */
    public enum Submission {
        /** With the backend: a completion (and callback) follows. */
        ACCEPTED,
        /** The pipe was closed (or its device detached) first. */
        PIPE_CLOSED,
        /** The device has left. */
        DEVICE_GONE,
        /** The backend refused it for another reason. */
        REFUSED
    }

    final HostController backend;
    final BusClock clock;
    final Executor callbackExecutor;
    private final Executor attachExecutor;
    private final int startFrameLead;
    /** The capture's hook ({@link TransferTap}), {@code null} when nothing captures. */
    private final TransferTap tap;

    private final Map<BackendDevice, EngineDevice> devices = new ConcurrentHashMap<>();
    private final Set<EngineDevice> detaching = ConcurrentHashMap.newKeySet();
    private final ThreadLocal<Awaiting> awaiting = ThreadLocal.withInitial(Awaiting::new);
    /** Every pipe that is open or still has transfers out of its pool (for {@link #transfersInUse()}). */
    final Set<EnginePipe> pipes = ConcurrentHashMap.newKeySet();

    private volatile DeviceLifecycle lifecycle;

    private final LongAdder callbackFailures = new LongAdder();
    private volatile Consumer<? super RuntimeException> callbackFailureHandler = Engine::logCallbackFailure;
    private volatile BiConsumer<String, BackendException> openFailureHandler;

    /**
     * @param backend the host controller
     * @param callbackExecutor where transfer callbacks run (per pipe one at a time, in completion order); an
     *     executor that runs tasks where they are given runs them on the completing thread
     * @param attachExecutor where attach and detach run (drivers' {@code USBDeviceAttach} and notifications)
     * @param startFrameLead the minimum lead of an isochronous start frame, in frames
     * ([§1.8](reference/ce-usbd.html#s1-8))
     */
    public Engine(HostController backend, Executor callbackExecutor, Executor attachExecutor, int startFrameLead) {
        this(backend, callbackExecutor, attachExecutor, startFrameLead, null);
    }

    /**
     * @param backend the host controller
     * @param callbackExecutor where transfer callbacks run (per pipe one at a time, in completion order)
     * @param attachExecutor where attach and detach run
     * @param startFrameLead the minimum lead of an isochronous start frame, in frames
     * ([§1.8](reference/ce-usbd.html#s1-8))
     * @param tap what sees every submission and completion (a capture), or {@code null}
     */
    public Engine(
            HostController backend,
            Executor callbackExecutor,
            Executor attachExecutor,
            int startFrameLead,
            TransferTap tap) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.clock = backend.clock();
        this.callbackExecutor = Objects.requireNonNull(callbackExecutor, "callbackExecutor");
        this.attachExecutor = Objects.requireNonNull(attachExecutor, "attachExecutor");
        this.startFrameLead = startFrameLead;
        this.tap = tap;
    }

    /** The tap that sees every transfer, or {@code null}. */
    TransferTap tap() {
        return tap;
    }

    /**
     * Starts the backend; devices present now are attached and handed to the lifecycle.
     *
     * @param lifecycle the driver model
     */
    public void start(DeviceLifecycle lifecycle) {
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
        backend.start(this);
    }

    /** The backend's bus clock. */
    public BusClock clock() {
        return clock;
    }

    /** The current frame. */
    public long now() {
        return clock.currentFrame();
    }

    /** The minimum lead of an isochronous start frame, in frames. */
    public int startFrameLead() {
        return startFrameLead;
    }

    /** Runs a task where attach and detach run (driver matching belongs there). */
    public void onAttachThread(Runnable task) {
        attachExecutor.execute(task);
    }

    /** Transfers taken from their pools and not yet back: 0 once everything is closed. */
    public long transfersInUse() {
        long n = 0;
        for (EnginePipe p : pipes) {
            n += p.liveCount();
        }
        return n;
    }

    // ---- devices ------------------------------------------------------------------------------------

    /** The attached devices. */
    public List<EngineDevice> devices() {
        return List.copyOf(devices.values());
    }

    /**
     * Resolves a device handle of any personality.
     *
     * @param handle what the caller passed
     * @return the device, or {@code null} if it is not one of this engine's attached devices
     */
    public EngineDevice device(Object handle) {
        return handle instanceof EngineDevice d && d.engine == this && d.isValid() ? d : null;
    }

    @Override
    public void deviceAttached(BackendDevice device) {
        attachExecutor.execute(() -> attach(device));
    }

    @Override
    public void deviceDetached(BackendDevice device) {
        attachExecutor.execute(() -> {
            EngineDevice d = devices.get(device);
            if (d != null) {
                detach(d);
            }
        });
    }

    private void attach(BackendDevice bd) {
        UsbDevice info;
        try {
            info = Descriptors.parseDevice(
                    bd.deviceDescriptor(), bd.configurationDescriptors(), bd.activeConfigurationValue());
        } catch (DescriptorException e) {
            LOG.warn("Ignoring device at {}: bad descriptors: {}", bd.location(), e.getMessage());
            return;
        }
        try {
            bd.open();
        } catch (BackendException e) {
            LOG.warn("Cannot open device at {}: {}", bd.location(), e.getMessage());
            BiConsumer<String, BackendException> h = openFailureHandler;
            if (h != null) {
                try {
                    h.accept(bd.location(), e);
                } catch (RuntimeException handlerFailure) {
                    LOG.error("The open-failure handler threw", handlerFailure);
                }
            }
            return;
        }
        EngineDevice d = lifecycle.newDevice(this, bd, info);
        devices.put(bd, d);
        LOG.debug("Device attached: {}", d);
        lifecycle.attached(d);
    }

    /**
     * Detaches a device with CE's ordering ([§1.5](reference/ce-usbd.html#s1-5)): new transfers fail; every pipe is
     * closed, newest first, and its transfers cancelled, newest first; once every transfer has completed and its
     * callback has run, the lifecycle hears of it ({@code USB_CLOSE_DEVICE}), the device becomes invalid and the
     * backend closes it. When called where it cannot wait (inside a callback, on the backend's event thread) the last
     * of those callbacks finishes the detach instead. Idempotent.
     *
     * @param d the device
     */
    public void detach(EngineDevice d) {
        if (!d.beginDetach()) {
            return;
        }
        detaching.add(d);
        devices.remove(d.backend, d);
        List<EnginePipe> pipes = d.openPipesNewestFirst();
        pipes.add(d.defaultPipe());
        for (EnginePipe p : pipes) {
            p.markClosing();
            cancelAll(p.newestFirst());
        }
        if (mayWaitForCallbacks()) {
            awaitQuiet(d::isQuiescent, d, quietWaitMillis);
        }
        maybeFinishDetach(d);
    }

    /** Finishes a detach once the device is quiet; the settling of its last transfer calls this too. */
    void maybeFinishDetach(EngineDevice d) {
        if (!d.isDetaching() || !d.isQuiescent() || !d.claimDetachFinish()) {
            return;
        }
        if (mayWaitForCallbacks()) {
            finishDetach(d);
            return;
        }
        try {
            attachExecutor.execute(() -> finishDetach(d)); // not on a callback or the event thread
        } catch (RejectedExecutionException e) {
            finishDetach(d); // the runtime was closed from a callback, and its executor with it: finish here
        }
    }

    private void finishDetach(EngineDevice d) {
        try {
            lifecycle.detached(d);
        } catch (RuntimeException e) {
            callbackFailed(e);
        }
        d.invalidate();
        for (EnginePipe p : d.openPipesNewestFirst()) {
            releasePipe(p);
        }
        try {
            d.backend.close();
        } catch (RuntimeException e) {
            internalFailure("closing " + d.location() + " failed", e);
        }
        d.markDetachFinished();
        detaching.remove(d);
        LOG.debug("Device detached: {}", d);
    }

    /**
     * Sets how long a detach, a pipe close or {@link #close} waits for callbacks (default 10 s). Internal, for the
     * runtime's tests: see {@link #quietWaitMillis}.
     *
     * @param millis at least 1, at most a day (the deadline is computed in nanoseconds)
     */
    public void quietWaitMillis(long millis) {
        if (millis < 1 || millis > TimeUnit.DAYS.toMillis(1)) {
            throw new IllegalArgumentException("quiet wait out of range: " + millis);
        }
        quietWaitMillis = millis;
    }

    /**
     * Detaches every device, waits (bounded) for their detaches to finish, and stops the backend. Called from a
     * callback (or where callbacks are delivered) it does not wait: the detaches finish as the callbacks return, the
     * caller's included, which a wait here would wait for.
     */
    @Override
    public void close() {
        for (EngineDevice d : devices()) {
            detach(d);
        }
        if (!mayWaitForCallbacks()) {
            backend.close();
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(quietWaitMillis);
        for (EngineDevice d : List.copyOf(detaching)) {
            synchronized (d) {
                while (!d.isDetachFinished() && System.nanoTime() < deadline) {
                    try {
                        d.wait(10);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
            if (!d.isDetachFinished()) {
                LOG.warn("The detach of {} did not finish: a callback is still running", d);
            }
        }
        backend.close();
    }

    // ---- pipes --------------------------------------------------------------------------------------

    /**
     * Opens a pipe, reserving periodic bandwidth for an isochronous or interrupt endpoint.
     *
     * @param d the device
     * @param endpoint the endpoint (its descriptor, and for the bandwidth its companion)
     * @return the pipe; {@code null} when the endpoint breaks the endpoint rule ({@link Endpoints#problem}),
     *     is already open, the bus has no bandwidth left, or the device is leaving
     */
    public EnginePipe openPipe(EngineDevice d, UsbEndpoint endpoint) {
        UsbEndpointDescriptor descriptor = endpoint.descriptor();
        int address = descriptor.bEndpointAddress();
        TransferType type = TransferType.of(descriptor.bmAttributes());
        if (Endpoints.problem(descriptor, d.speed()) != null) {
            return null; // the one endpoint rule; CE's OpenPipe has answered ERROR_INVALID_PARAMETER before this
        }
        synchronized (d) {
            if (d.isDetaching() || d.hasPipe(address)) {
                return null;
            }
            int perEntry;
            int period;
            if (type == TransferType.ISOCHRONOUS || type == TransferType.INTERRUPT) {
                perEntry = Endpoints.bytesPerServiceInterval(endpoint, d.speed());
                period = Endpoints.servicePeriod(descriptor, d.speed());
                if (!d.backend.reservePeriodic(address, type, perEntry, period)) {
                    return null;
                }
            } else {
                perEntry = Endpoints.maxPacketPayload(descriptor, d.speed());
                period = 1;
            }
            EnginePipe p = new EnginePipe(d, descriptor, perEntry, period, clock.currentFrame());
            d.addPipe(p);
            return p;
        }
    }

    /**
     * Closes a pipe ([§1.10](reference/ce-usbd.html#s1-10)): new transfers fail, live ones are cancelled, newest first,
     * and waited for (and, outside a callback, their callbacks too); then the pipe's bandwidth is released. Its
     * transfers stay valid for their clients until closed.
     *
     * @param p the pipe
     * @return {@code false} if it was already closed
     */
    public boolean closePipe(EnginePipe p) {
        if (!p.markClosing()) {
            return false;
        }
        EnginePipe.Snapshot s = p.newestFirst();
        cancelAll(s);
        awaitAll(s, ABORT_WAIT_MILLIS, false);
        if (mayWaitForCallbacks()) {
            awaitQuiet(p::isQuiescent, p, quietWaitMillis);
        }
        releasePipe(p);
        return true;
    }

    private void releasePipe(EnginePipe p) {
        EngineDevice d = p.device;
        if (p == d.defaultPipe()) {
            return;
        }
        if (p.type == TransferType.ISOCHRONOUS || p.type == TransferType.INTERRUPT) {
            d.backend.releasePeriodic(p.address());
        }
        d.removePipe(p);
    }

    /**
     * Cancels every live transfer of a pipe, newest first ({@code AbortPipeTransfers},
     * [§1.7](reference/ce-usbd.html#s1-7)).
     *
     * @param p the pipe
     * @param wait whether to wait (up to CE's 10 s each) for each to complete
     */
    public void abortPipe(EnginePipe p, boolean wait) {
        abort(p, wait);
    }

    /**
     * Cancels every live transfer of a pipe, newest first, and returns once each has completed and, where this thread
     * may wait for callbacks, its callback has run: the desktop personalities' abort, whose caller is told that the
     * pipe's requests are done ({@code WinUsb_AbortPipe}, {@code URB_FUNCTION_ABORT_PIPE},
     * [§3.6](reference/wdm.html#s3-6)), completion routines included. Each wait is bounded by CE's 10 s.
     *
     * @param p the pipe
     */
    public void abortPipeAndSettle(EnginePipe p) {
        EnginePipe.Snapshot s = abort(p, true);
        if (mayWaitForCallbacks()) { // inside a callback, the others may be queued behind it
            awaitAll(s, ABORT_WAIT_MILLIS, true);
        }
    }

    private EnginePipe.Snapshot abort(EnginePipe p, boolean wait) {
        EnginePipe.Snapshot s = p.newestFirst();
        cancelAll(s);
        if (wait) {
            awaitAll(s, ABORT_WAIT_MILLIS, false);
        }
        return s;
    }

    private void cancelAll(EnginePipe.Snapshot s) {
        for (int i = 0; i < s.size; i++) {
            cancel(s.transfers[i], s.generations[i]);
        }
    }

    /**
     * Waits for each transfer of a snapshot to complete or, with {@code settled}, also for its callback to have run,
     * keeping an interrupt for later.
     */
    private void awaitAll(EnginePipe.Snapshot s, long millis, boolean settled) {
        boolean interrupted = false;
        for (int i = 0; i < s.size; i++) {
            while (true) {
                try {
                    if (settled) {
                        s.transfers[i].awaitSettled(s.generations[i], TimeUnit.MILLISECONDS.toNanos(millis));
                    } else {
                        awaitCompletion(s.transfers[i], s.generations[i], millis);
                    }
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits on {@code monitor} until {@code quiet} holds; transfers that settle wake it. */
    private void awaitQuiet(BooleanSupplier quiet, Object monitor, long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        boolean interrupted = false;
        synchronized (monitor) {
            while (!quiet.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    LOG.warn("{}: callbacks still running after {} ms; going on without them", monitor, millis);
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(monitor, Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- transfers ----------------------------------------------------------------------------------

    /**
     * Hands a prepared transfer ({@link Transfer#begin} done, its backend request filled) to the backend.
     * Unless accepted, the transfer is back in its pool when this returns.
     *
     * @param t the transfer, in state ISSUING
     * @return how it went
     */
    public Submission submit(Transfer t) {
        int gen = t.generation();
        EnginePipe p = t.pipe;
        t.fire(Transfer.Event.SUBMIT, Transfer.ANY);
        if (!p.isOpen()) { // after SUBMIT: a closing pipe either sees this transfer pending, or we see it closed
            refuse(t);
            return Submission.PIPE_CLOSED;
        }
        TransferTap tap = this.tap; // the capture's hook, with the one in Transfer.completed
        if (tap != null) {
            tap.submitted(t);
        }
        try {
            p.device.backend.submit(t.backend());
        } catch (BackendException e) {
            if (tap != null) {
                tap.refused(t, e.status());
            }
            refuse(t);
            return e.status() == PacketStatus.DEVICE_GONE ? Submission.DEVICE_GONE : Submission.REFUSED;
        } catch (RuntimeException e) {
            internalFailure("the backend failed a submission", e);
            if (tap != null) {
                tap.refused(t, PacketStatus.HOST_ERROR);
            }
            refuse(t);
            return Submission.REFUSED;
        }
        if (t.isCancelling(gen)) {
            // a cancellation raced the submission and may have reached the backend before the transfer did
            tellBackendToCancel(t, gen);
        }
        return Submission.ACCEPTED;
    }

    /** A transfer that will not reach the backend: its frames go back to its pipe's stream, it to its pool. */
    private static void refuse(Transfer t) {
        t.pipe.unschedule(t);
        t.fire(Transfer.Event.REFUSE, Transfer.ANY);
    }

    /**
     * Gives back an acquired transfer that will not be submitted after all (a start frame that cannot be
     * met, say): it returns to its pool.
     *
     * @param t the transfer, in state ISSUING
     */
    public void giveBack(Transfer t) {
        refuse(t);
    }

    /**
     * Requests cancellation without waiting (the kernel's unlink, CE's {@code AbortTransfer} with
     * {@code USB_NO_WAIT}); only the first request reaches the backend ([§1.7](reference/ce-usbd.html#s1-7)). The
     * transfer then completes, cancelled, unless it was already finishing.
     *
     * @param t the transfer
     * @param gen the use meant
     * @return {@code false} if that use is over or closed
     */
    public boolean cancel(Transfer t, int gen) {
        long w = t.fire(Transfer.Event.CANCEL, gen);
        if (w == Transfer.STALE) {
            return false;
        }
        if (w >= 0) { // PENDING -> CANCELLING, pinned for us
            sendCancel(t);
        }
        return true;
    }

    /**
     * Cancels and waits for completion (the kernel's kill; CE's {@code AbortTransfer} with 0).
     *
     * @param t the transfer
     * @param gen the use meant
     * @param millis the bound (bus time on a virtual clock)
     * @return {@code true} once it is complete; {@code false} on timeout, when this thread cannot wait, or
     *     for a use that is over
     * @throws InterruptedException if interrupted while waiting (the cancellation stands)
     */
    public boolean cancelAndWait(Transfer t, int gen, long millis) throws InterruptedException {
        return cancel(t, gen) && awaitCompletion(t, gen, millis);
    }

    /**
     * The client is done with a use ({@code CloseTransfer}): a pending transfer is cancelled and waited for,
     * up to {@code millis} (CE: 1000 ms, [§1.7](reference/ce-usbd.html#s1-7)); its callback, if due, still runs once.
     * The object returns to its pool once closed, complete and its callback run.
     *
     * @param t the transfer
     * @param gen the use meant
     * @param millis how long to wait for a pending transfer to complete (0: not at all)
     * @return {@code false} if that use is over or was already closed
     */
    public boolean close(Transfer t, int gen, long millis) {
        long w = t.fire(Transfer.Event.CLOSE, gen);
        if (w == Transfer.STALE) {
            return false;
        }
        if (Transfer.state(w) == Transfer.CANCELLING_CLOSED) { // was pending, pinned for us
            sendCancel(t);
            if (millis > 0) {
                boolean interrupted = false;
                while (true) {
                    try {
                        awaitCompletion(t, gen, millis);
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        return true;
    }

    /** The backend cancel of a pinned transfer, then the unpin. */
    private void sendCancel(Transfer t) {
        try {
            t.pipe.device.backend.cancel(t.backend());
        } catch (RuntimeException e) {
            internalFailure("the backend failed a cancellation", e);
        } finally {
            t.fire(Transfer.Event.UNPIN, Transfer.ANY);
        }
    }

    private void tellBackendToCancel(Transfer t, int gen) {
        if (t.fire(Transfer.Event.PIN, gen) < 0) {
            return;
        }
        if (t.isInFlight(gen)) {
            sendCancel(t);
        } else {
            t.fire(Transfer.Event.UNPIN, Transfer.ANY);
        }
    }

    /**
     * Waits until use {@code gen} is no longer with the backend: on a virtual clock by running the bus, on the
     * backend's event thread by delivering completions (where the backend can), else by blocking.
     *
     * @param t the transfer
     * @param gen the use meant
     * @param millis the bound (bus time on a virtual clock)
     * @return {@code true} once complete; {@code false} on timeout or when this thread cannot wait
     * @throws InterruptedException if interrupted while blocking
     */
    public boolean awaitCompletion(Transfer t, int gen, long millis) throws InterruptedException {
        if (!t.isInFlight(gen)) {
            return true;
        }
        if (!waitsByRunning()) {
            return t.awaitCompletion(gen, TimeUnit.MILLISECONDS.toNanos(millis));
        }
        Awaiting a = awaiting.get();
        Transfer outerTransfer = a.transfer; // a wait in a callback that runs inside another wait
        int outerGeneration = a.generation;
        a.transfer = t;
        a.generation = gen;
        try {
            return runUntil(a, millis);
        } finally {
            a.transfer = outerTransfer;
            a.generation = outerGeneration;
        }
    }

    /**
     * Whether a wait on the current thread has to make the awaited completion happen itself ({@link #runUntil}) rather
     * than block: on a virtual clock, and on the backend's threads that complete transfers (callbacks run there).
     */
    public boolean waitsByRunning() {
        return clock.isVirtual() || backend.isCompletionThread();
    }

    /**
     * Waits until {@code done} holds, on a thread that {@link #waitsByRunning()}: on a virtual clock by running the bus,
     * on the backend's event thread by delivering completions (their callbacks run here, nested in the waiting one).
     * A completion thread that cannot deliver returns at once: it would wait for itself.
     *
     * @param done the condition; completions on this thread make it true
     * @param millis the bound (bus time on a virtual clock)
     * @return whether {@code done} holds
     */
    public boolean runUntil(BooleanSupplier done, long millis) {
        if (clock.isVirtual()) {
            return clock.runUntil(done, millis);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (true) {
            long left = deadline - System.nanoTime();
            if (backend.canRunCompletionsHere()) {
                return backend.runCompletionsUntil(done, Math.max(0, left));
            }
            if (done.getAsBoolean()) {
                return true;
            }
            if (backend.isCompletionThread() || left <= 0) {
                return false;
            }
            // no longer where completions happen (the real-time simulator moved its clock to another thread while
            // this one ran a long callback): they happen elsewhere now, so wait for them here
            LockSupport.parkNanos(this, Math.min(left, MOVED_CLOCK_POLL_NANOS));
        }
    }

    /** How often {@link #runUntil} looks again on a thread that stopped being a completion thread. */
    private static final long MOVED_CLOCK_POLL_NANOS = 100_000;

    /** "This transfer is no longer in flight", reusable per thread so that waiting allocates nothing. */
    private static final class Awaiting implements BooleanSupplier {
        Transfer transfer;
        int generation;

        @Override
        public boolean getAsBoolean() {
            return !transfer.isInFlight(generation);
        }
    }

    /**
     * Whether the current thread may wait for a completion: not on a thread of the backend's that would
     * have to deliver it (callbacks may run there), unless the backend delivers completions while it waits.
     */
    public boolean canBlock() {
        return clock.isVirtual() || !backend.isCompletionThread() || backend.canRunCompletionsHere();
    }

    /**
     * Marks the current thread as running client code on a transfer's completion path outside its callback (a
     * personality that signals its client where the transfer completes, as WinUSB's {@code OVERLAPPED}): until {@link
     * #endClientCode()} the engine treats it as inside a callback, and waits for no callback, which could be the one
     * queued behind this completion. Pair the two in a {@code try}/{@code finally}.
     */
    public static void beginClientCode() {
        CallbackQueue.enter();
    }

    /** Ends {@link #beginClientCode()}. */
    public static void endClientCode() {
        CallbackQueue.exit();
    }

    /** Whether the current thread may wait for callbacks: not inside one, and able to block at all. */
    private boolean mayWaitForCallbacks() {
        return !CallbackQueue.inCallback() && canBlock();
    }

    /**
     * A control request on endpoint 0, synchronously: the engine's own requests for personalities that
     * change alternate settings themselves (WinUSB, WDM).
     *
     * @param d the device
     * @param request the setup packet
     * @param data the data stage, or {@code null} without one
     * @param millis how long to wait (bus time on a virtual clock)
     * @return the outcome; {@link PacketStatus#DEVICE_GONE} if it could not be submitted,
     *     {@link PacketStatus#HOST_ERROR} if it did not complete in time
     */
    public PacketStatus controlSync(EngineDevice d, UsbDeviceRequest request, ByteBuffer data, long millis) {
        Transfer t = d.defaultPipe().acquire();
        if (t == null) {
            return PacketStatus.DEVICE_GONE;
        }
        int gen = t.generation();
        t.begin(null, false);
        t.backend().control(0, request.toBytes(), data, 0, data == null ? 0 : request.wLength());
        Submission s = submit(t);
        if (s != Submission.ACCEPTED) {
            return s == Submission.REFUSED ? PacketStatus.HOST_ERROR : PacketStatus.DEVICE_GONE;
        }
        boolean done;
        try {
            done = awaitCompletion(t, gen, millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            done = false;
        }
        PacketStatus status = done ? t.backend().status() : PacketStatus.HOST_ERROR;
        close(t, gen, CLOSE_WAIT_MILLIS);
        return status;
    }

    // ---- failures -----------------------------------------------------------------------------------

    /**
     * A client callback threw: counted, handed to the failure handler, and the engine goes on (the transfer
     * still settles). A handler that throws itself is logged and otherwise ignored.
     *
     * @param e what it threw
     */
    public void callbackFailed(RuntimeException e) {
        callbackFailures.increment();
        try {
            callbackFailureHandler.accept(e);
        } catch (RuntimeException handlerFailure) {
            handlerFailure.addSuppressed(e);
            LOG.error("The callback-failure handler threw", handlerFailure);
        }
    }

    /** The default callback-failure handler: a warning through SLF4J. */
    public static void logCallbackFailure(RuntimeException e) {
        LOG.warn("A client callback threw", e);
    }

    /**
     * Where callback failures go from now on (default {@link #logCallbackFailure}).
     *
     * @param handler the handler
     */
    public void onCallbackFailure(Consumer<? super RuntimeException> handler) {
        this.callbackFailureHandler = Objects.requireNonNull(handler, "handler");
    }

    /**
     * Tells {@code handler} of each arriving device that could not be opened (its location and the backend's
     * reason), on the thread that attaches devices, after the warning logged.
     *
     * @param handler the handler
     */
    public void onOpenFailure(BiConsumer<String, BackendException> handler) {
        this.openFailureHandler = Objects.requireNonNull(handler, "handler");
    }

    /** How many client callbacks have thrown since the engine was made. */
    public long callbackFailures() {
        return callbackFailures.sum();
    }

    void internalFailure(String what, RuntimeException e) {
        LOG.error(what, e);
    }
}
