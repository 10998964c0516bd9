package io.github.usbd4j.internal.engine;

import io.github.usbd4j.ce.UsbEndpoint;
import io.github.usbd4j.ce.UsbEndpointDescriptor;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
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

    void transferDone(TransferState t, PacketStatus status) {
        if (status == PacketStatus.STALL) {
            halted = true;
        }
    }

    /**
     * CE's isochronous schedule check (§1.8): the earliest acceptable frame is
     * {@code max(nextFrame, now + lead)}; ASAP starts there, an explicit start earlier than it is refused.
     *
     * @param now the current frame
     * @param lead the configured minimum lead in frames (CE EHCI's MIN_ADVANCED_FRAME = 6)
     * @param asap {@code USB_START_ISOCH_ASAP}
     * @param startingFrame the caller's 32-bit start frame
     * @param entries number of frame entries
     * @return the start frame, or -1 when the start frame cannot be met
     */
    synchronized long scheduleCe(long now, int lead, boolean asap, int startingFrame, int entries) {
        long earliest = Math.max(nextFrame, now + lead);
        long start = asap ? earliest : Frames.widen(startingFrame, now);
        if (start < earliest) {
            return -1;
        }
        nextFrame = start + framesUsed(entries);
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
