package io.github.usbd4j.internal.engine;

import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import java.util.function.Supplier;

/**
 * One open endpoint: the engine's side of CE's {@code USB_PIPE} ([§1.10](reference/ce-usbd.html#s1-10)), which WinUSB
 * and WDM pipes also use. It holds the pipe's live transfers in issue order (so cancellations can go newest first), its
 * pool of free transfers, its callback queue, and, for isochronous pipes, the stream position that ASAP scheduling
 * continues from (CE EHCI's {@code lastValidFrame}, [§1.8](reference/ce-usbd.html#s1-8)).
 */
public final class EnginePipe {
    final Engine engine;
    final EngineDevice device;
    final UsbEndpointDescriptor descriptor;
    final TransferType type;
    final CallbackQueue callbacks;
    private final int maxBytesPerEntry;
    private final int period;

    private volatile boolean open = true;
    private volatile boolean halted;

    // guarded by this
    private Transfer liveHead;
    private Transfer liveTail;
    private int live;
    private Transfer free;
    /**
     * The first frame after everything scheduled so far, refused transfers given back ({@link #unschedule}); starts
     * at the frame the pipe opened (CE EHCI).
     */
    private long nextFrame;
    /** Closed handles waiting to be reused ({@link #quarantineHandles}), or {@code null}. */
    private HandleQuarantine<Object> handles;

    private boolean streaming;

    EnginePipe(
            EngineDevice device, UsbEndpointDescriptor descriptor, int maxBytesPerEntry, int period, long openFrame) {
        this.engine = device.engine;
        this.device = device;
        this.descriptor = descriptor;
        this.type = TransferType.of(descriptor.bmAttributes());
        this.callbacks = new CallbackQueue(engine);
        this.maxBytesPerEntry = maxBytesPerEntry;
        this.period = Math.max(1, period);
        this.nextFrame = openFrame;
        engine.pipes.add(this);
    }

    /** The descriptor the pipe was opened with. */
    public UsbEndpointDescriptor endpoint() {
        return descriptor;
    }

    /** The endpoint address, direction bit included. */
    public int address() {
        return descriptor.bEndpointAddress();
    }

    /** The transfer type. */
    public TransferType type() {
        return type;
    }

    /** The device. */
    public EngineDevice device() {
        return device;
    }

    /** The engine. */
    public Engine engine() {
        return engine;
    }

    /** {@code true} for an IN endpoint. */
    public boolean isIn() {
        return descriptor.isIn();
    }

    /**
     * Max bytes in one packet: the bytes per service interval, high-bandwidth bits included
     * ([§1.8](reference/ce-usbd.html#s1-8), [§4](reference/usb-bus.html#s4)).
     */
    public int maxBytesPerEntry() {
        return maxBytesPerEntry;
    }

    /** Bus intervals between two packets: frames at full speed, microframes at high speed. */
    public int period() {
        return period;
    }

    /** {@code false} once closing began: no new transfer is accepted ([§1.10](reference/ce-usbd.html#s1-10)). */
    public boolean isOpen() {
        return open;
    }

    boolean isClosing() {
        return !open;
    }

    /** The host-side halt after a STALL ([§1.10](reference/ce-usbd.html#s1-10)). */
    public boolean isHalted() {
        return halted;
    }

    /** Clears the host-side halt ({@code ResetPipe}). */
    public void clearHalt() {
        halted = false;
    }

    // ---- transfers ----------------------------------------------------------------------------------

    /**
     * Makes each use of this pipe carry a handle object ({@link Transfer#handle()}) that waits out a quarantine
     * once its use is closed and finished: how a personality whose clients hold handles (CE's
     * {@code USB_TRANSFER}) keeps a stale handle from naming a later transfer for a while
     * ([§1.7](reference/ce-usbd.html#s1-7)). The quarantine is kept under this pipe's lock, in the same hold that
     * hands out and takes back transfers. A second call changes nothing.
     *
     * @param capacity how many later retired handles a retired handle waits out; at least 1
     * @param make makes the quarantine's handles now, a full quarantine of them (for a pipe that streams: it
     *     then allocates nothing per transfer from its first one on), or {@code null}: the client makes them as
     *     transfers need them, until the quarantine is full
     */
    public synchronized void quarantineHandles(int capacity, Supplier<?> make) {
        if (handles == null && open) {
            handles = new HandleQuarantine<>(capacity);
            if (make != null) {
                handles.fill(make);
            }
        }
    }

    /**
     * A transfer for a new use, in state ISSUING, from the pool.
     *
     * @return the transfer, or {@code null} when the pipe is closing
     */
    public synchronized Transfer acquire() {
        return acquireLocked();
    }

    /**
     * {@link #acquire()} and the choice of its start frame under one hold of the pipe's lock, for an isochronous
     * transfer: the pipe's stream is advanced past it, and the start frame, or the policy's failure code, is in the
     * transfer's {@link Transfer#scheduledStart()}.
     * A transfer whose start frame could not be chosen goes back with {@link Engine#giveBack}.
     *
     * @param policy the personality's rule
     * @param now the current frame
     * @param lead the configured minimum lead in frames (CE EHCI's MIN_ADVANCED_FRAME = 6)
     * @param asap the stack chooses the start
     * @param continueOnly with ASAP: fail unless the transfer can follow the stream without a gap
     * @param startingFrame the caller's 32-bit start frame (ignored with ASAP)
     * @param entries number of packets (service intervals)
     * @return the transfer, or {@code null} when the pipe is closing
     */
    public synchronized Transfer acquireScheduled(
            StartFramePolicy policy,
            long now,
            int lead,
            boolean asap,
            boolean continueOnly,
            int startingFrame,
            int entries) {
        Transfer t = acquireLocked();
        if (t == null) {
            return null;
        }
        long start = policy.start(nextFrame, streaming, now, lead, asap, continueOnly, startingFrame);
        t.streamBefore = nextFrame;
        t.streamingBefore = streaming;
        if (StartFramePolicy.isFrame(start)) { // the stream advances past it
            streaming = true;
            nextFrame = Math.max(nextFrame, start + framesUsed(entries));
        }
        t.streamAfter = nextFrame;
        t.scheduledStart = start;
        return t;
    }

    /**
     * A scheduled transfer that never reached the backend gives its frames back: the stream ends where it did before,
     * unless a later transfer was scheduled behind it meanwhile (its start stands). CE's EHCI driver moves its stream
     * end only for a transfer it accepted ([§1.8](reference/ce-usbd.html#lead)); a refused one never ran, and a stream
     * continued after it would start with a gap.
     */
    synchronized void unschedule(Transfer t) {
        if (StartFramePolicy.isFrame(t.scheduledStart) && nextFrame == t.streamAfter) {
            nextFrame = t.streamBefore;
            streaming = t.streamingBefore;
        }
        t.scheduledStart = StartFramePolicy.NOT_SCHEDULED;
    }

    private Transfer acquireLocked() {
        if (!open) {
            return null;
        }
        Transfer t = free;
        if (t != null) {
            free = t.nextFree;
            t.nextFree = null;
        } else {
            t = new Transfer(this);
        }
        t.acquire();
        t.scheduledStart = StartFramePolicy.NOT_SCHEDULED;
        t.handle = handles == null ? null : handles.take();
        t.prevLive = liveTail;
        t.nextLive = null;
        if (liveTail == null) {
            liveHead = t;
        } else {
            liveTail.nextLive = t;
        }
        liveTail = t;
        live++;
        return t;
    }

    /** A transfer reached FREE: off the live list, and into the pool while the pipe is open. */
    synchronized void recycle(Transfer t) {
        if (t.prevLive == null) {
            liveHead = t.nextLive;
        } else {
            t.prevLive.nextLive = t.nextLive;
        }
        if (t.nextLive == null) {
            liveTail = t.prevLive;
        } else {
            t.nextLive.prevLive = t.prevLive;
        }
        t.prevLive = null;
        t.nextLive = null;
        live--;
        Object h = t.handle;
        t.handle = null;
        if (h != null && handles != null) {
            handles.retire(h);
        }
        if (open) {
            t.nextFree = free;
            free = t;
        } else if (live == 0) {
            engine.pipes.remove(this);
        }
    }

    /** Transfers taken from this pipe's pool and not back yet. */
    synchronized int liveCount() {
        return live;
    }

    /**
     * The live transfers, newest first, each with the generation it had: what a cancellation of the whole
     * pipe works through (as the kernel's {@code usb_kill_anchored_urbs} does, newest first, so a later
     * transfer cannot start in a gap an earlier one left).
     */
    synchronized Snapshot newestFirst() {
        Snapshot s = new Snapshot(live);
        for (Transfer t = liveTail; t != null; t = t.prevLive) {
            s.add(t);
        }
        return s;
    }

    /** Live transfers and their generations at one moment. */
    static final class Snapshot {
        final Transfer[] transfers;
        final int[] generations;
        int size;

        Snapshot(int capacity) {
            transfers = new Transfer[capacity];
            generations = new int[capacity];
        }

        void add(Transfer t) {
            transfers[size] = t;
            generations[size] = t.generation();
            size++;
        }
    }

    /** Whether every live transfer has settled (complete with its callback run, or never submitted). */
    synchronized boolean isQuiescent() {
        for (Transfer t = liveHead; t != null; t = t.nextLive) {
            if (!t.isSettled(t.generation())) {
                return false;
            }
        }
        return true;
    }

    /**
     * Marks the pipe closing: new transfers fail from now on ([§1.10](reference/ce-usbd.html#s1-10)); {@code false} if
     * it already was.
     */
    synchronized boolean markClosing() {
        boolean was = open;
        open = false;
        free = null;
        handles = null;
        if (live == 0) {
            engine.pipes.remove(this);
        }
        return was;
    }

    /** A transfer of this closing pipe settled: wake whoever waits for the pipe, and tell the device. */
    void transferSettled() {
        synchronized (this) {
            notifyAll();
        }
        device.pipeSettled();
    }

    /** The backend finished a transfer: a STALL halts the pipe; a SET_INTERFACE that went through is noted. */
    void backendCompleted(BackendTransfer t) {
        if (t.status() == PacketStatus.STALL) {
            halted = true;
        } else if (t.status() == PacketStatus.OK && t.type() == TransferType.CONTROL) {
            byte[] s = t.setup();
            if (s[0] == Usb100.USB_REQUEST_FOR_INTERFACE && s[1] == Usb100.USB_REQUEST_SET_INTERFACE) {
                device.alternateSettingChanged(s[4] & 0xFF, (s[2] & 0xFF) | (s[3] & 0xFF) << 8);
            }
        }
    }

    // ---- isochronous scheduling ---------------------------------------------------------------------

    /** Whole frames that {@code entries} service intervals occupy (CE EHCI accounts {@code ceil(n/8)} at high speed). */
    public long framesUsed(int entries) {
        int perFrame = device.speed().intervalsPerFrame();
        long intervals = (long) entries * period;
        return (intervals + perFrame - 1) / perFrame;
    }

    @Override
    public String toString() {
        return "pipe[" + device.location() + " ep 0x" + Integer.toHexString(address()) + "]";
    }
}
