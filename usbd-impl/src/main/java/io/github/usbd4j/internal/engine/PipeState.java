package io.github.usbd4j.internal.engine;

import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One open pipe: CE's {@code USB_PIPE} (usb-iso-apis.md §1.10). Holds the pipe's live transfers, its pool
 * of free transfer objects, its callback queue, and, for isochronous pipes, the stream position that
 * ASAP scheduling continues from (CE EHCI's {@code lastValidFrame}, §1.8).
 */
final class PipeState implements UsbPipe {
    final DeviceState device;
    final UsbEndpointDescriptor descriptor;
    final TransferType type;
    final CallbackQueue callbacks;

    /** Max bytes in one frame entry: the bytes per service interval, high-bandwidth bits included (§1.8, §4). */
    final int maxBytesPerEntry;
    /** Bus intervals between two entries: frames at full speed, microframes at high speed. */
    final int period;

    private final List<TransferState> live = new ArrayList<>();
    private final ArrayDeque<TransferState> pool = new ArrayDeque<>();
    private boolean open = true;
    private volatile boolean halted;
    /** The first frame after everything scheduled so far; starts at the frame the pipe opened (CE EHCI). */
    private long nextFrame;

    PipeState(DeviceState device, UsbEndpoint endpoint, int maxBytesPerEntry, int period, long openFrame) {
        this.device = device;
        this.descriptor = endpoint.descriptor();
        this.type = TransferType.of(descriptor.bmAttributes());
        this.callbacks = new CallbackQueue(device.runtime.callbackExecutor);
        this.maxBytesPerEntry = maxBytesPerEntry;
        this.period = Math.max(1, period);
        this.nextFrame = openFrame;
    }

    @Override
    public UsbEndpointDescriptor endpoint() {
        return descriptor;
    }

    int address() {
        return descriptor.bEndpointAddress();
    }

    synchronized boolean isOpen() {
        return open;
    }

    boolean isHalted() {
        return halted;
    }

    void clearHalt() {
        halted = false;
    }

    /** A transfer object for a new transfer, from the pool; {@code null} when the pipe is closed. */
    synchronized TransferState acquire() {
        if (!open) {
            return null;
        }
        TransferState t = pool.pollFirst();
        if (t == null) {
            t = new TransferState(this);
        }
        live.add(t);
        return t;
    }

    /** Gives back a transfer that was never submitted, or one the client closed. */
    synchronized void release(TransferState t) {
        live.remove(t);
        t.free();
        if (open) {
            pool.addFirst(t);
        }
    }

    /** Snapshot of the live transfers, for AbortPipeTransfers and ClosePipe. */
    synchronized List<TransferState> liveTransfers() {
        return new ArrayList<>(live);
    }

    /** Marks the pipe closing: new transfers fail from now on (§1.10). */
    synchronized boolean markClosed() {
        boolean was = open;
        open = false;
        pool.clear();
        return was;
    }

    /** Records a finished transfer's outcome: a STALL halts the pipe on the host side (§1.10). */
    void transferDone(PacketStatus status) {
        if (status == PacketStatus.STALL) {
            halted = true;
        }
    }

    /** A start frame could not be chosen: CE's refusal of a start frame it cannot meet (§1.8). */
    static final long CANNOT_MEET = -1;
    /** A start frame could not be chosen: outside the ±1024-frame window (§3.5). */
    static final long OUT_OF_WINDOW = -2;
    /** A start frame could not be chosen: the stream cannot continue without dropping frames (§2.3). */
    static final long CANNOT_CONTINUE = -3;

    /** How a start frame is chosen: the one rule that differs between the personalities. */
    enum Policy {
        /**
         * CE (§1.8): the earliest acceptable frame is {@code max(nextFrame, now + lead)}; ASAP starts there,
         * an explicit start earlier than it is refused.
         */
        CE,
        /**
         * WinUSB and WDM (§2.3, §3.5): an explicit start must lie within ±1024 frames of now; ASAP continues
         * the stream even into the past, where packets fail one by one as late; a stream idle for 1024 frames
         * is forgotten and a new one starts at {@code now + lead}.
         */
        DESKTOP
    }

    /** The window of §3.5, {@code USBD_ISO_START_FRAME_RANGE}. */
    static final int START_FRAME_RANGE = 1024;

    private boolean streaming;

    /**
     * Chooses the start frame of an isochronous transfer and advances the pipe's stream past it.
     *
     * @param policy the personality's rule
     * @param now the current frame
     * @param lead the configured minimum lead in frames (CE EHCI's MIN_ADVANCED_FRAME = 6)
     * @param asap the stack chooses the start
     * @param continueOnly with ASAP: fail unless the transfer can follow the stream without a gap
     * @param startingFrame the caller's 32-bit start frame (ignored with ASAP)
     * @param entries number of packets (service intervals)
     * @return the start frame, or {@link #CANNOT_MEET}, {@link #OUT_OF_WINDOW}, {@link #CANNOT_CONTINUE}
     */
    synchronized long schedule(
            Policy policy, long now, int lead, boolean asap, boolean continueOnly, int startingFrame, int entries) {
        long start;
        if (policy == Policy.CE) {
            long earliest = Math.max(nextFrame, now + lead);
            start = asap ? earliest : Frames.widen(startingFrame, now);
            if (start < earliest) {
                return CANNOT_MEET;
            }
        } else if (asap) {
            boolean live = streaming && nextFrame + START_FRAME_RANGE > now;
            if (continueOnly && (!live || nextFrame <= now)) {
                return CANNOT_CONTINUE;
            }
            start = live ? nextFrame : now + lead;
        } else {
            start = Frames.widen(startingFrame, now);
            if (Math.abs(start - now) >= START_FRAME_RANGE) {
                return OUT_OF_WINDOW;
            }
        }
        streaming = true;
        nextFrame = Math.max(nextFrame, start + framesUsed(entries));
        return start;
    }

    /** Whole frames that {@code entries} service intervals occupy (CE EHCI accounts {@code ceil(n/8)} at high speed). */
    long framesUsed(int entries) {
        int perFrame = device.speed.intervalsPerFrame();
        long intervals = (long) entries * period;
        return (intervals + perFrame - 1) / perFrame;
    }

    @Override
    public String toString() {
        return "UsbPipe[" + device.location() + " ep 0x" + Integer.toHexString(address()) + "]";
    }
}
