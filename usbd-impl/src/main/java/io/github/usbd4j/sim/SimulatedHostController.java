package io.github.usbd4j.sim;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.BusClock;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.host.spi.HostListener;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A simulated USB host controller with one root port per attached {@link DeviceModel}: an exact frame
 * counter, a bus that runs every submitted transfer in its (micro)frame, a periodic bandwidth budget, hot
 * plug and seeded fault injection.
 *
 * <p><b>Time.</b> The bus advances one 125 µs microframe at a time. In {@link ClockMode#VIRTUAL} mode
 * (the default) time moves only through {@link #advanceFrames}, {@link #advanceMicroframes},
 * {@link #advanceTo} or {@link #runUntil}; in {@link ClockMode#REAL_TIME} mode a daemon thread named
 * {@code usbd-sim-clock} keeps pace with {@link System#nanoTime()}. {@link #currentFrame()} is the frame
 * whose work has not run yet: after {@code advanceFrames(n)} every packet due before it has run.
 *
 * <p><b>Real time.</b> The clock thread sleeps until the next microframe in which something observable
 * happens (a transfer completes, bulk, interrupt or control work is due, a frame-start event), then runs
 * every microframe that is due, in order: a late wake-up is caught up by running the due microframes, never
 * by skipping them, and a submission that makes an earlier event wakes it. {@link #currentFrame()} and
 * {@link #currentMicroframe()} follow the wall clock even while the thread sleeps (the work of the
 * microframes it has not run yet still runs, when it catches up). Packets are missed only when a transfer
 * really came too late for its interval, as on a real bus. The clock thread also runs the runtime's transfer
 * callbacks, with no hand-off ({@link #callbackExecutor}), right after the microframe whose completions they
 * are, as a host controller interrupts at the end of a microframe; on the clock thread the current frame is
 * the bus's own (the microframe it runs next), so a clock that woke late catches up without its callbacks
 * finding a later frame than the bus has reached and leaving gaps in their ASAP streams. A callback that holds
 * the clock thread for over a millisecond ({@link Builder#callbackClockLimit}) moves the clock to another thread;
 * from then on it sees the wall clock, as any other thread does, and a gap it causes is its own.
 *
 * <p><b>Bus intervals.</b> A high-speed device is served every microframe; a full-speed device once per
 * frame (in microframe 0); control transfers once per frame. Isochronous packet {@code k} of a transfer
 * runs in interval {@code startFrame * intervalsPerFrame + k * period}; a packet whose interval has
 * passed when the bus reaches it (late submission, or queued behind a transfer) keeps
 * {@code NOT_ACCESSED}. A bulk transfer runs whole in the next interval, an interrupt transfer in the
 * next interval that is a multiple of its period.
 *
 * <p><b>Threads.</b> Transfers complete on the thread advancing the bus, after the interval's work and
 * outside every lock, so a completion listener may submit, cancel or detach. {@link #attach} reports the
 * arrival on the calling thread. Everything else is thread-safe.
 *
 * <p><b>Bandwidth.</b> {@link io.github.usbd4j.host.spi.BackendDevice#reservePeriodic} charges each
 * periodic endpoint, per bus interval, {@code cost / period} bytes where (USB 2.0 §5.11.3, simplified)
 * {@code cost = payload + n * 9} for full-speed isochronous ({@code n * 13} interrupt) and
 * {@code cost = payload * 7/6 + n * 38} for high-speed isochronous ({@code n * 55} interrupt), {@code n}
 * being the transactions per interval. The budget is 90 % of 1500 bytes per frame at full speed and 80 %
 * of 7500 bytes per microframe at high speed. A full-speed device on a high-speed bus is charged as a
 * high-speed endpoint polled every 8 microframes (transaction translators are not modelled).
 */
public final class SimulatedHostController implements HostController, BusClock {
    private static final Logger LOG = LoggerFactory.getLogger(SimulatedHostController.class);

    /** How the bus clock advances. */
    public enum ClockMode {
        /** Only when a caller advances it; deterministic. */
        VIRTUAL,
        /** With wall-clock time, on the {@code usbd-sim-clock} thread; for demos. */
        REAL_TIME
    }

    /** Frame length bounds accepted by {@link #adjustFrameLength} (12 MHz bit times). */
    private static final int MIN_FRAME_LENGTH = 11994;

    private static final int MAX_FRAME_LENGTH = 12005;
    private static final long MICROFRAME_NANOS = 125_000;

    final Object lock = new Object();
    /** Fair: a thread that waits by running the bus hands it on to the others between frames (runUntil). */
    private final ReentrantLock stepLock = new ReentrantLock(true);

    private final UsbSpeed speed;
    private final ClockMode clockMode;
    private final long seed;
    /** Real time: how long one callback may hold the clock thread before the clock moves to another thread. */
    private final long callbackClockNanos;

    // guarded by lock
    private final List<SimulatedDevice> devices = new ArrayList<>();
    private HostListener listener;
    private int nextPort = 1;
    private double periodicLoad;
    private int frameLength = 12000;
    private int frameLengthTarget = 12000;
    private Runnable frameLengthReached;
    private boolean closed;

    /**
     * Completions decided off the bus (an unplug, a device close): the deciding thread delivers them, and so does a
     * wait that runs the bus ({@link #runUntil}), whichever gets to each first. A callback of one of them on the
     * deciding thread may wait for the next one, which that thread alone would deliver only after it returned. In
     * real time no wait runs the bus there: the clock thread delivers the rest once the deciding thread has taken none
     * for {@link #OFF_BUS_STALL_NANOS} (until then one thread delivers them, in order).
     */
    private final ConcurrentLinkedQueue<BackendTransfer> offBusCompleted = new ConcurrentLinkedQueue<>();
    /** When an off-bus completion was last queued or taken. */
    private volatile long offBusProgress;
    /** Real time: how long the clock thread lets queued off-bus completions wait for the thread that decided them. */
    private static final long OFF_BUS_STALL_NANOS = 20_000_000;

    // guarded by stepLock
    private final ArrayDeque<BackendTransfer> stepCompleted = new ArrayDeque<>();
    private final SimulatedDevice.Bus bus = new SimulatedDevice.Bus(stepCompleted);
    private final List<SimulatedDevice> stepDetached = new ArrayList<>();
    private Runnable stepCallback;

    private volatile long microframe;
    private static final java.lang.invoke.VarHandle MICROFRAME;

    static {
        try {
            MICROFRAME = java.lang.invoke.MethodHandles.lookup()
                    .findVarHandle(SimulatedHostController.class, "microframe", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Real time: the thread that runs the bus now (a new one when a callback stalls the old one). */
    private volatile Thread clockThread;
    /** Real time: callbacks of completions that happened off the clock thread, and of a stalled clock. */
    private final CallbackThreads callbackThreads;
    /** Real time: the runtime's default callback executor ({@link #callbackExecutor}). */
    private final Executor realTimeCallbacks = this::dispatchCallback;

    /** Real time: guards the clock thread's callbacks, {@link #callbackSince} and changes of the clock thread. */
    private final Object clockCallbacksLock = new Object();
    // guarded by clockCallbacksLock: callbacks given on the clock thread, which it runs after its microframes
    private Runnable[] clockCallbacks = new Runnable[16];
    private int clockCallbacksHead;
    private int clockCallbacksSize;
    /** {@link System#nanoTime()} when the clock thread entered the callback it runs now; 0 outside one. */
    private long callbackSince;
    /** Callbacks the clock thread has entered; the watchdog compares it between its rounds. */
    private long callbacksEntered;
    /** The watchdog's own: {@link #callbacksEntered} at its previous round (only its thread touches it). */
    private long callbacksSeenByWatchdog;
    /**
     * The watchdog's own: when (its clock) it first saw the callback the clock thread is in, 0 when none; a
     * stall is measured from there, not from {@link #callbackSince}, so that a pause of the whole process
     * (a garbage collection) is not taken for a slow callback.
     */
    private long stallWatchedSince;
    /** A former clock thread whose slow callback has returned, parked to take the clock over next time. */
    private Thread standbyClock;
    /** Real time: {@link System#nanoTime()} at which microframe {@link #realTimeFirst} began. */
    private volatile long realTimeOrigin;
    /** Real time: the first microframe of the clock thread; -1 until it starts. */
    private volatile long realTimeFirst = -1;
    /** Real time: the microframe the clock thread sleeps until (guarded by lock). */
    private long wakeAt = Long.MAX_VALUE;

    private SimulatedHostController(Builder b) {
        this.speed = b.speed;
        this.clockMode = b.clockMode;
        this.seed = b.seed;
        this.callbackClockNanos = b.callbackClockNanos;
        this.microframe = b.startFrame * 8;
        this.callbackThreads = clockMode == ClockMode.REAL_TIME ? new CallbackThreads("usbd-sim-callback-", 2) : null;
    }

    /** A builder: full speed, virtual clock, seed 0, frame 0. */
    public static Builder builder() {
        return new Builder();
    }

    /** The bus speed. */
    public UsbSpeed speed() {
        return speed;
    }

    boolean isHighSpeed() {
        return speed == UsbSpeed.HIGH;
    }

    // ---- devices ------------------------------------------------------------------------------------

    /**
     * Plugs a device in. It is enumerated at once and, once {@link #start} ran, reported through
     * {@link HostListener#deviceAttached} on the calling thread.
     *
     * @param model the device
     * @return the attached device
     */
    public SimulatedDevice attach(DeviceModel model) {
        return attach(model, FaultPlan.NONE);
    }

    /**
     * Plugs a device in with faults to inject.
     *
     * @param model the device
     * @param faults what to inject
     * @return the attached device
     * @throws IllegalArgumentException if the model is not full or high speed, or is high speed on a
     *     full-speed bus, or its descriptors are malformed
     */
    public SimulatedDevice attach(DeviceModel model, FaultPlan faults) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(faults, "faults");
        SimulatedDevice device;
        HostListener l;
        List<BackendTransfer> done = new ArrayList<>();
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the controller is closed");
            }
            int port = nextPort++;
            device = new SimulatedDevice(this, model, faults, port, seed * 0x9E3779B97F4A7C15L + port);
            device.arrive(done);
            devices.add(device);
            l = listener;
        }
        if (l != null) {
            l.deviceAttached(device);
        }
        return device;
    }

    /**
     * Unplugs a device now: its pending transfers complete with {@code DEVICE_GONE} (unrun packets
     * {@code NOT_ACCESSED}), then {@link HostListener#deviceDetached} is called. Idempotent.
     *
     * @param device the device
     */
    public void detach(SimulatedDevice device) {
        List<BackendTransfer> done = new ArrayList<>();
        synchronized (lock) {
            if (!removeLocked(device, done)) {
                return;
            }
            offBusCompleted.addAll(done); // under the lock: in the order the bus would have completed them
            offBusProgress = System.nanoTime();
        }
        deliverOffBus();
        notifyDetached(device);
    }

    /** Delivers the completions decided off the bus that no other thread has taken yet. */
    private void deliverOffBus() {
        BackendTransfer t;
        while ((t = offBusCompleted.poll()) != null) {
            offBusProgress = System.nanoTime();
            complete(t);
        }
    }

    /**
     * Unplugs a device at the start of {@code frame} (a device that vanishes at frame N): nothing of
     * that frame runs for it. A frame already reached detaches it at the next frame start.
     *
     * @param device the device
     * @param frame the frame
     */
    public void scheduleDetach(SimulatedDevice device, long frame) {
        synchronized (lock) {
            device.setDetachFrame(frame);
            rescheduleLocked();
        }
    }

    /** The attached devices, in order of attachment. */
    public List<SimulatedDevice> devices() {
        synchronized (lock) {
            return List.copyOf(devices);
        }
    }

    private boolean removeLocked(SimulatedDevice device, List<BackendTransfer> done) {
        if (device.isGone() || !devices.remove(device)) {
            return false;
        }
        for (int i = 0; i < 32; i++) {
            periodicLoad -= device.endpointState((i & 0x0F) | (i & 0x10) << 3).reservedCost;
        }
        device.leave(done);
        return true;
    }

    private void notifyDetached(SimulatedDevice device) {
        HostListener l;
        synchronized (lock) {
            l = listener;
        }
        if (l != null) {
            l.deviceDetached(device);
        }
        device.announceDetached();
    }

    // ---- HostController -----------------------------------------------------------------------------

    @Override
    public String name() {
        return "sim";
    }

    @Override
    public void start(HostListener listener) {
        Objects.requireNonNull(listener, "listener");
        List<SimulatedDevice> present;
        synchronized (lock) {
            if (this.listener != null) {
                throw new IllegalStateException("already started");
            }
            this.listener = listener;
            present = List.copyOf(devices);
        }
        present.forEach(listener::deviceAttached);
        if (clockMode == ClockMode.REAL_TIME) {
            Thread t = newClockThread();
            realTimeOrigin = System.nanoTime();
            realTimeFirst = microframe;
            synchronized (clockCallbacksLock) {
                clockThread = t;
            }
            t.start();
            ClockWatchdog.watch(this);
        }
    }

    private Thread newClockThread() {
        Thread t = new Thread(this::runRealTime, "usbd-sim-clock");
        t.setDaemon(true);
        return t;
    }

    @Override
    public BusClock clock() {
        return this;
    }

    /** The real-time clock's thread, which completes transfers (and runs their callbacks). */
    @Override
    public boolean isCompletionThread() {
        return Thread.currentThread() == clockThread;
    }

    /**
     * Real time: the clock thread runs the callbacks of the transfers it completes itself, right after the microframe's
     * work and outside the bus locks: no hand-off, nothing allocated. A callback that runs for more than a millisecond
     * (slow, or blocked; {@link Builder#callbackClockLimit}) does not stop the bus: the clock moves to another thread
     * ({@link ClockWatchdog}), which catches up the due microframes in order, and the callbacks of other pipes that
     * waited behind it move to the controller's callback threads ({@code usbd-sim-callback-N}, two, started on first
     * use), which also run the callbacks of completions that happen on other threads (cancellation, detach). A
     * synchronous call made in a callback on the clock thread waits by running the bus itself ({@link
     * #runCompletionsUntil}). Virtual time: none (the runtime runs callbacks on the thread that advances the clock).
     */
    @Override
    public Optional<Executor> callbackExecutor() {
        return clockMode == ClockMode.REAL_TIME ? Optional.of(realTimeCallbacks) : Optional.empty();
    }

    /** Real time: on the clock thread, which can run the bus while it waits. */
    @Override
    public boolean canRunCompletionsHere() {
        return clockMode == ClockMode.REAL_TIME && Thread.currentThread() == clockThread;
    }

    /**
     * Real time, on the clock thread (a synchronous call in a callback): runs the due microframes and their
     * callbacks until {@code done} holds or {@code nanos} have passed. Should the clock move to another thread
     * meanwhile, waits for {@code done} without running the bus.
     */
    @Override
    public boolean runCompletionsUntil(BooleanSupplier done, long nanos) {
        Thread me = Thread.currentThread();
        if (clockMode != ClockMode.REAL_TIME || me != clockThread) {
            return done.getAsBoolean();
        }
        long deadline = System.nanoTime() + nanos;
        long outerSince;
        synchronized (clockCallbacksLock) {
            outerSince = callbackSince;
            callbackSince = 0; // running the bus is not a stall
        }
        try {
            while (!done.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                if (clockThread != me) {
                    LockSupport.parkNanos(this, Math.min(left, WAIT_POLL_NANOS));
                    continue;
                }
                runDueMicroframes(me);
                runClockCallbacks(me);
                if (done.getAsBoolean()) {
                    return true;
                }
                long sleep = Math.min(Math.min(nanosUntilNextEvent(), WAIT_POLL_NANOS), deadline - System.nanoTime());
                if (sleep > 0) {
                    LockSupport.parkNanos(this, sleep);
                }
            }
            return true;
        } finally {
            synchronized (clockCallbacksLock) {
                if (clockThread == me) {
                    callbackSince = outerSince;
                }
            }
        }
    }

    /** The real-time callback executor: on the clock thread, after the microframe; elsewhere, a hand-off. */
    private void dispatchCallback(Runnable task) {
        Thread me = Thread.currentThread();
        if (me == clockThread) {
            synchronized (clockCallbacksLock) {
                if (me == clockThread) {
                    if (clockCallbacksSize == clockCallbacks.length) {
                        Runnable[] bigger = new Runnable[clockCallbacks.length * 2];
                        for (int i = 0; i < clockCallbacksSize; i++) {
                            bigger[i] = clockCallbacks[(clockCallbacksHead + i) & (clockCallbacks.length - 1)];
                        }
                        clockCallbacks = bigger;
                        clockCallbacksHead = 0;
                    }
                    clockCallbacks[(clockCallbacksHead + clockCallbacksSize) & (clockCallbacks.length - 1)] = task;
                    clockCallbacksSize++;
                    return;
                }
            }
        }
        callbackThreads.execute(task);
    }

    /** Runs the callbacks given on the clock thread, as long as {@code me} is the clock thread. */
    private void runClockCallbacks(Thread me) {
        while (true) {
            Runnable task;
            long outerSince;
            synchronized (clockCallbacksLock) {
                if (clockThread != me || clockCallbacksSize == 0) {
                    return;
                }
                task = clockCallbacks[clockCallbacksHead];
                clockCallbacks[clockCallbacksHead] = null;
                clockCallbacksHead = (clockCallbacksHead + 1) & (clockCallbacks.length - 1);
                clockCallbacksSize--;
                outerSince = callbackSince; // non-zero when a callback's synchronous call runs this
                callbackSince = System.nanoTime() | 1;
                callbacksEntered++;
            }
            ClockWatchdog.callbackEntered(); // after callbackSince is set: see ClockWatchdog's idle rule
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                LOG.error("a callback task failed on the simulated bus clock", e);
            } finally {
                synchronized (clockCallbacksLock) {
                    if (clockThread == me) {
                        callbackSince = outerSince;
                    }
                }
            }
        }
    }

    /**
     * Called by the {@link ClockWatchdog}: if the clock thread has been inside one callback for longer than its limit
     * ({@link Builder#callbackClockLimit}) by {@code now}, another thread takes over the clock (the one standing by, or
     * a new one), and the callbacks waiting behind that one move to the callback threads. The stalled thread finishes
     * its callback (and its pipe's queue), then stands by or ends.
     *
     * <p>The stall is timed by the watchdog's own observation: from the first round that saw the clock thread
     * in this callback, and from scratch after a round that came late ({@code resync}: the watchdog did not
     * run either, e.g. during a garbage collection, so the callback may not have run for that time).
     *
     * @param resync the watchdog's previous round was too long ago to time a stall from it
     * @return whether the clock thread is in a callback or has entered one since the previous call: while no
     *     controller's has, the watchdog may stop looking
     */
    boolean takeOverStalledClock(long now, boolean resync) {
        Thread next;
        boolean fresh;
        synchronized (clockCallbacksLock) {
            boolean sameCallback = callbacksEntered == callbacksSeenByWatchdog;
            boolean active = callbackSince != 0 || !sameCallback;
            callbacksSeenByWatchdog = callbacksEntered;
            if (clockThread == null || callbackSince == 0) {
                stallWatchedSince = 0;
                return active;
            }
            if (resync || !sameCallback || stallWatchedSince == 0) {
                stallWatchedSince = now;
                return true;
            }
            if (now - stallWatchedSince < callbackClockNanos) {
                return true;
            }
            stallWatchedSince = 0;
            next = standbyClock;
            fresh = next == null;
            if (fresh) {
                next = newClockThread();
            }
            standbyClock = null;
            clockThread = next;
            callbackSince = 0;
            moveClockCallbacksLocked();
        }
        LOG.debug(
                "a transfer callback has held the simulated bus clock for over {} us; the clock moves to {}",
                callbackClockNanos / 1000,
                next);
        if (fresh) {
            next.start();
        } else {
            LockSupport.unpark(next);
        }
        return true;
    }

    /** Hands the callbacks still waiting for the clock thread to the callback threads. */
    private void moveClockCallbacksLocked() {
        while (clockCallbacksSize > 0) {
            Runnable task = clockCallbacks[clockCallbacksHead];
            clockCallbacks[clockCallbacksHead] = null;
            clockCallbacksHead = (clockCallbacksHead + 1) & (clockCallbacks.length - 1);
            clockCallbacksSize--;
            try {
                callbackThreads.execute(task);
            } catch (RejectedExecutionException e) {
                task.run(); // closed meanwhile: run here rather than lose the callbacks
            }
        }
    }

    /**
     * Stops the clock thread and detaches every device; then the callback threads end once they have run
     * the callbacks of the transfers that completed.
     */
    @Override
    public void close() {
        Thread t;
        Thread standby;
        synchronized (clockCallbacksLock) {
            t = clockThread;
            clockThread = null;
            standby = standbyClock;
            standbyClock = null;
            if (t != null) {
                moveClockCallbacksLocked();
            }
        }
        if (t != null) {
            ClockWatchdog.unwatch(this);
        }
        if (standby != null) {
            LockSupport.unpark(standby);
            try {
                standby.join(TimeUnit.SECONDS.toMillis(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (t != null && t != Thread.currentThread()) {
            LockSupport.unpark(t);
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (SimulatedDevice d : devices()) {
            detach(d);
        }
        synchronized (lock) {
            closed = true;
        }
        if (callbackThreads != null && !callbackThreads.close(TimeUnit.SECONDS.toMillis(5))) {
            LOG.warn("a transfer callback was still running 5 s after the simulated host controller closed");
        }
    }

    // ---- BusClock -----------------------------------------------------------------------------------

    @Override
    public long currentFrame() {
        return currentMicroframe() >>> 3;
    }

    @Override
    public long currentMicroframe() {
        long mf = microframe;
        long first = realTimeFirst;
        if (first < 0 || Thread.currentThread() == clockThread) {
            return mf; // virtual time, or the clock thread: the bus's own time (see the class comment)
        }
        return Math.max(mf, first + (System.nanoTime() - realTimeOrigin) / MICROFRAME_NANOS);
    }

    @Override
    public boolean isVirtual() {
        return clockMode == ClockMode.VIRTUAL;
    }

    @Override
    public boolean runUntil(BooleanSupplier done, long maxFrames) {
        requireVirtual();
        stepLock.lock();
        try {
            long limit = microframe + maxFrames * 8;
            deliverOffBus();
            while (!done.getAsBoolean() && microframe < limit) {
                step();
                deliverOffBus();
                if ((microframe & 7) == 0 && stepLock.getHoldCount() == 1 && stepLock.hasQueuedThreads()) {
                    // at each frame start, let the threads queued for the bus in: another wait whose condition now
                    // holds returns, an advance by hand runs; a long wait here held them all until it ended (an
                    // INFINITE one, for ever)
                    letQueuedThreadsIn();
                }
            }
            return done.getAsBoolean();
        } finally {
            stepLock.unlock();
        }
    }

    /** Hands the bus (held once) to the threads queued for it, then takes it back: the lock is fair. */
    private void letQueuedThreadsIn() {
        stepLock.unlock();
        stepLock.lock();
    }

    /**
     * Advances the virtual clock to the start of frame {@code currentFrame() + frames}.
     *
     * @param frames frames to run, 0 or more
     */
    public void advanceFrames(long frames) {
        advanceTo(currentFrame() + frames);
    }

    /**
     * Advances the virtual clock by {@code microframes} microframes.
     *
     * @param microframes microframes to run, 0 or more
     */
    public void advanceMicroframes(long microframes) {
        requireVirtual();
        stepLock.lock();
        try {
            long target = microframe + microframes;
            while (microframe < target) {
                stepUpTo(target);
            }
        } finally {
            stepLock.unlock();
        }
    }

    /**
     * Advances the virtual clock to the start of {@code frame}; nothing happens if it is already there.
     *
     * @param frame the frame to reach
     */
    public void advanceTo(long frame) {
        requireVirtual();
        stepLock.lock();
        try {
            while (microframe < frame * 8) {
                stepUpTo(frame * 8);
            }
        } finally {
            stepLock.unlock();
        }
    }

    @Override
    public int frameLength() {
        synchronized (lock) {
            return frameLength;
        }
    }

    /**
     * Moves the frame length one bit time per frame toward {@code target}; {@code reached} runs on the
     * bus thread at the frame start where it gets there. Real-time pacing does not follow the frame
     * length.
     */
    @Override
    public boolean adjustFrameLength(int target, Runnable reached) {
        if (target < MIN_FRAME_LENGTH || target > MAX_FRAME_LENGTH) {
            return false;
        }
        synchronized (lock) {
            frameLengthTarget = target;
            frameLengthReached = reached == null ? () -> {} : reached;
            rescheduleLocked();
        }
        return true;
    }

    private void requireVirtual() {
        if (clockMode != ClockMode.VIRTUAL) {
            throw new IllegalStateException("the clock is real-time; it cannot be advanced by hand");
        }
    }

    // ---- the bus ------------------------------------------------------------------------------------

    /** Runs one microframe, then hands its completions on; the caller holds stepLock. */
    private void step() {
        stepUpTo(microframe + 1);
    }

    /**
     * Runs microframes up to {@code limit} (exclusive), then hands on the completions, departures and
     * frame-length notice of the last one run; the caller holds stepLock. The microframes run under one
     * hold of the lock as long as none of them produced anything to hand on, so a stream's idle or
     * mid-transfer microframes cost no lock round trip each; whatever a microframe produces is still
     * handed on right after it, before the next one runs.
     */
    private void stepUpTo(long limit) {
        synchronized (lock) {
            long mf = microframe;
            do {
                long frame = mf >>> 3;
                int sub = (int) (mf & 7);
                if (sub == 0) {
                    startFrame(frame);
                }
                if (devices.size() == 1 && stepDetached.isEmpty() && stepCallback == null) {
                    // the rest of the frame in one call while the sole device streams on one isochronous endpoint
                    long reached = devices.get(0).runIsochronousStretch(mf, Math.min(limit, (mf | 7) + 1), bus);
                    if (reached != mf) {
                        mf = reached;
                        continue;
                    }
                }
                for (int i = 0; i < devices.size(); i++) {
                    devices.get(i).runMicroframe(frame, sub, bus);
                }
                reached(++mf);
            } while (mf < limit && stepCompleted.isEmpty() && stepDetached.isEmpty() && stepCallback == null);
        }
        BackendTransfer t;
        while ((t = stepCompleted.pollFirst()) != null) {
            complete(t);
        }
        if (!stepDetached.isEmpty()) {
            SimulatedDevice[] gone = stepDetached.toArray(new SimulatedDevice[0]);
            stepDetached.clear();
            for (SimulatedDevice d : gone) {
                notifyDetached(d);
            }
        }
        if (stepCallback != null) {
            Runnable r = stepCallback;
            stepCallback = null;
            r.run();
        }
    }

    /** The bus has run every microframe before {@code mf}; the caller holds the lock. */
    void reached(long mf) {
        MICROFRAME.setRelease(this, mf); // readers on other threads read it volatile
    }

    /** Frame-start events: frame-length slewing, scheduled departures, injected stalls. */
    private void startFrame(long frame) {
        if (frameLengthReached != null) {
            frameLength += Integer.signum(frameLengthTarget - frameLength);
            if (frameLength == frameLengthTarget) {
                stepCallback = frameLengthReached;
                frameLengthReached = null;
            }
        }
        for (int i = devices.size() - 1; i >= 0; i--) {
            SimulatedDevice d = devices.get(i);
            long at = d.detachFrame();
            if (at >= 0 && at <= frame) {
                d.record(frame, 0, 0, PacketStatus.DEVICE_GONE);
                List<BackendTransfer> done = new ArrayList<>();
                removeLocked(d, done);
                stepCompleted.addAll(done);
                stepDetached.add(d);
            }
        }
        for (int i = 0; i < devices.size(); i++) {
            devices.get(i).startFrame(frame);
        }
    }

    private static void complete(BackendTransfer t) {
        try {
            t.complete();
        } catch (RuntimeException e) {
            LOG.warn("a transfer completion listener failed", e);
        }
    }

    /** The longest the real-time clock thread sleeps when nothing is due. */
    private static final long IDLE_PARK_NANOS = 10_000_000;

    /** How often a synchronous call on the clock thread looks again while it waits (at most). */
    private static final long WAIT_POLL_NANOS = 1_000_000;

    private void runRealTime() {
        Thread me = Thread.currentThread();
        do {
            while (clockThread == me) {
                runDueMicroframes(me);
                runClockCallbacks(me);
                long sleep = nanosUntilNextEvent();
                if (sleep > 0) {
                    LockSupport.parkNanos(this, sleep);
                }
            }
        } while (standBy(me));
    }

    /**
     * A thread the clock has moved away from (its callback held it too long) waits, once that callback has
     * returned, to take the clock over at the next stall, so that a driver whose callbacks are often slow does
     * not cost a new thread each time; one such thread per controller at most.
     *
     * @return {@code true} once the clock is this thread's again; {@code false}: end the thread
     */
    private boolean standBy(Thread me) {
        synchronized (clockCallbacksLock) {
            if (clockThread == null || standbyClock != null) {
                return false;
            }
            standbyClock = me;
        }
        while (true) {
            LockSupport.park(this);
            synchronized (clockCallbacksLock) {
                if (clockThread == me) {
                    return true;
                }
                if (clockThread == null || standbyClock != me) {
                    if (standbyClock == me) {
                        standbyClock = null;
                    }
                    return false;
                }
            }
        }
    }

    /**
     * Real time: runs every microframe that has ended by now, in order (catching up never skips one), and the
     * callbacks of each microframe's completions right after it, outside the bus locks, as long as {@code me}
     * is the clock thread.
     */
    private void runDueMicroframes(Thread me) {
        if (!offBusCompleted.isEmpty() && System.nanoTime() - offBusProgress > OFF_BUS_STALL_NANOS) {
            deliverOffBus(); // their deciding thread is held up, in client code that may wait for one of them
            runClockCallbacks(me);
        }
        // a microframe's work runs once it has ended, as a host controller reports it
        long due = realTimeFirst + (System.nanoTime() - realTimeOrigin) / MICROFRAME_NANOS;
        while (clockThread == me) {
            stepLock.lock();
            try {
                if (microframe >= due) {
                    return;
                }
                stepUpTo(due); // up to the first microframe with completions to hand on
            } catch (RuntimeException e) {
                LOG.error("simulated bus step failed", e);
                return;
            } finally {
                stepLock.unlock();
            }
            runClockCallbacks(me);
        }
    }

    /** Real time: how long the clock may sleep: until the end of the next eventful microframe, at most 10 ms. */
    private long nanosUntilNextEvent() {
        long next;
        synchronized (lock) {
            next = nextEventLocked();
            wakeAt = next;
        }
        return next == Long.MAX_VALUE
                ? IDLE_PARK_NANOS
                : Math.min(
                        IDLE_PARK_NANOS,
                        realTimeOrigin + (next + 1 - realTimeFirst) * MICROFRAME_NANOS - System.nanoTime());
    }

    /** The first microframe from the current one on that the real-time clock must not run late. */
    private long nextEventLocked() {
        long mf = microframe;
        long next = frameLengthReached != null ? (mf + 7) & ~7L : Long.MAX_VALUE;
        for (int i = 0; i < devices.size(); i++) {
            next = Math.min(next, devices.get(i).nextEvent(mf));
        }
        return next;
    }

    /** Real time: wakes the clock thread if a change made an event due before it planned to wake. */
    void rescheduleLocked() {
        Thread t = clockThread;
        if (t != null && nextEventLocked() < wakeAt) {
            wakeAt = 0;
            LockSupport.unpark(t);
        }
    }

    // ---- transfers ----------------------------------------------------------------------------------

    void submit(SimulatedDevice device, BackendTransfer t) throws BackendException {
        synchronized (lock) {
            EndpointState ep = device.validate(t);
            SimTransfer st = SimTransfer.of(t);
            if (st.pending) {
                throw new IllegalStateException("transfer already submitted");
            }
            t.accept();
            st.begin(device, ep, t);
            ep.queue.addLast(t);
            device.queued(ep);
            if (clockThread != null && ep.queue.size() == 1) { // behind others it completes after them
                rescheduleLocked();
            }
        }
    }

    void cancel(BackendTransfer t) {
        if (Thread.holdsLock(lock)) {
            throw new IllegalStateException("cancel from inside a device model callback");
        }
        synchronized (lock) {
            if (!(t.backendState() instanceof SimTransfer st) || !st.pending) {
                return;
            }
            st.endpoint.queue.remove(t);
            st.finish(t, PacketStatus.CANCELED);
        }
        complete(t);
    }

    void closeDevice(SimulatedDevice device) {
        List<BackendTransfer> done = new ArrayList<>();
        synchronized (lock) {
            device.setOpen(false);
            device.cancelAll(done);
            offBusCompleted.addAll(done);
            offBusProgress = System.nanoTime();
        }
        deliverOffBus();
    }

    boolean reservePeriodic(
            SimulatedDevice device, int endpointAddress, TransferType type, int bytesPerInterval, int period) {
        if (type != TransferType.ISOCHRONOUS && type != TransferType.INTERRUPT) {
            throw new IllegalArgumentException("only isochronous and interrupt endpoints are periodic: " + type);
        }
        if (bytesPerInterval < 0 || period < 1) {
            throw new IllegalArgumentException("bytesPerInterval " + bytesPerInterval + ", period " + period);
        }
        // a full-speed device's interval is a frame: on a high-speed bus that is 8 microframes
        int busPeriod = isHighSpeed() && !device.isHighSpeed() ? period * 8 : period;
        double cost = periodicCost(isHighSpeed(), type, bytesPerInterval) / busPeriod;
        synchronized (lock) {
            if (device.isGone()) {
                return false;
            }
            EndpointState ep = device.endpointState(endpointAddress);
            double without = periodicLoad - ep.reservedCost;
            if (without + cost > periodicBudget(isHighSpeed()) + 1e-9) {
                return false;
            }
            periodicLoad = without + cost;
            ep.reservedCost = cost;
            return true;
        }
    }

    void releasePeriodic(SimulatedDevice device, int endpointAddress) {
        synchronized (lock) {
            EndpointState ep = device.endpointState(endpointAddress);
            periodicLoad -= ep.reservedCost;
            ep.reservedCost = 0;
        }
    }

    /** Bus bytes one interval's transactions take (see the class comment). */
    static double periodicCost(boolean highSpeed, TransferType type, int bytes) {
        boolean iso = type == TransferType.ISOCHRONOUS;
        if (highSpeed) {
            int n = Math.max(1, (bytes + 1023) / 1024);
            return bytes * 7.0 / 6.0 + n * (iso ? 38 : 55);
        }
        int n = Math.max(1, (bytes + 1022) / 1023);
        return bytes + n * (iso ? 9 : 13);
    }

    /** Periodic bytes allowed per bus interval: 90 % of 1500 (FS frame), 80 % of 7500 (HS microframe). */
    static double periodicBudget(boolean highSpeed) {
        return highSpeed ? 7500 * 0.8 : 1500 * 0.9;
    }

    /** Builds a {@link SimulatedHostController}. */
    public static final class Builder {
        private UsbSpeed speed = UsbSpeed.FULL;
        private ClockMode clockMode = ClockMode.VIRTUAL;
        private long seed;
        private long startFrame;
        private long callbackClockNanos = ClockWatchdog.STALL_NANOS;

        private Builder() {}

        /**
         * The bus speed.
         *
         * @param speed {@link UsbSpeed#FULL} or {@link UsbSpeed#HIGH}
         * @return this
         */
        public Builder speed(UsbSpeed speed) {
            if (speed != UsbSpeed.FULL && speed != UsbSpeed.HIGH) {
                throw new IllegalArgumentException("the simulated bus is full or high speed, not " + speed);
            }
            this.speed = speed;
            return this;
        }

        /**
         * How the clock advances.
         *
         * @param clockMode the mode
         * @return this
         */
        public Builder clockMode(ClockMode clockMode) {
            this.clockMode = Objects.requireNonNull(clockMode, "clockMode");
            return this;
        }

        /**
         * The seed of every device's fault-injection random source.
         *
         * @param seed the seed
         * @return this
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * The frame the clock starts at, e.g. near {@code 0xFFFF_FFFFL} to cross CE's 32-bit wrap.
         *
         * @param frame 0 or more
         * @return this
         */
        public Builder startFrame(long frame) {
            if (frame < 0 || frame > Long.MAX_VALUE / 16) {
                throw new IllegalArgumentException("start frame " + frame);
            }
            this.startFrame = frame;
            return this;
        }

        /**
         * Real time: how long one transfer callback may run on the clock thread before the clock moves to another
         * thread, so that the bus goes on (1 ms by default). A longer limit keeps every callback on the clock thread
         * through the preemptions of a loaded machine, for a test that asserts where callbacks run, at the price of
         * the bus waiting that long behind a callback that blocks. The limit is timed by a watchdog that looks once
         * a millisecond, so a callback may hold the clock up to about a millisecond longer.
         *
         * @param limit more than zero, at most a day
         * @return this
         */
        public Builder callbackClockLimit(Duration limit) {
            Objects.requireNonNull(limit, "limit");
            if (limit.isNegative() || limit.isZero() || limit.compareTo(Duration.ofDays(1)) > 0) {
                throw new IllegalArgumentException("callback clock limit " + limit);
            }
            this.callbackClockNanos = limit.toNanos();
            return this;
        }

        /** The controller. */
        public SimulatedHostController build() {
            return new SimulatedHostController(this);
        }
    }
}
