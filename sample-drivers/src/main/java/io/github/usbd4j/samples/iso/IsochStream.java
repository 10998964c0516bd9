package io.github.usbd4j.samples.iso;

import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One open isochronous pipe of an {@link IsochStreamingDriver} and its transfers in flight.
 *
 * <p>Each in-flight transfer owns a slot (buffer, length array, result arrays), CE style: the buffer and
 * the lengths stay untouched until the callback (<a href="{@docRoot}/../reference/ce-usbd.html#s1-7">§1.7</a>). The
 * callback reads {@code GetIsochResults}, hands each frame to the driver's hooks in stream order, closes the handle and
 * issues the slot's next transfer unless the stream is stopping, was cancelled or reached its limit.
 */
public final class IsochStream {
    private final IsochStreamingDriver driver;
    private final UsbEndpointDescriptor descriptor;
    final UsbPipe pipe;
    private final int maxFrameLength;
    private final StreamStats.Counter counter;
    private final Map<Integer, String> issueErrors = new TreeMap<>();
    /**
     * Held from taking the next frame indices (and, OUT, the next data) to handing the transfer to
     * {@code IssueIsochTransfer}: transfers reach the bus in the order they were filled, also when a
     * completion callback on another thread issues at the same time (ASAP schedules in submission order).
     */
    private final Object issueOrder = new Object();

    // guarded by this
    private long issued;
    private long refused;
    private int inFlight;
    private boolean started;
    private boolean stopping;
    private boolean endOfData;
    private boolean done;
    /** USBD cut the stream off (it cancelled a transfer, or refused one for a closed pipe) without a stop asked. */
    private boolean cutOff;

    private int framesPerTransfer;
    private int transfersInFlight;

    IsochStream(IsochStreamingDriver driver, UsbEndpointDescriptor descriptor, UsbPipe pipe) {
        this.driver = driver;
        this.descriptor = descriptor;
        this.pipe = pipe;
        this.maxFrameLength = IsochStreamingDriver.maxFrameLength(descriptor, driver.speed());
        this.counter = new StreamStats.Counter(descriptor.bEndpointAddress());
    }

    /** The endpoint descriptor the pipe was opened with. */
    public UsbEndpointDescriptor descriptor() {
        return descriptor;
    }

    /** The endpoint address. */
    public int endpointAddress() {
        return descriptor.bEndpointAddress();
    }

    /** Whether this is an IN pipe. */
    public boolean isIn() {
        return descriptor.isIn();
    }

    /** The CE pipe handle. */
    public UsbPipe pipe() {
        return pipe;
    }

    /** The largest length one frame may request: payload × transactions per service interval. */
    public int maxFrameLength() {
        return maxFrameLength;
    }

    /**
     * Length-array entries per 1 ms bus frame: 1 at full speed; at high speed one per service interval,
     * {@code 8 / 2^(bInterval-1)} (at least 1).
     */
    public int entriesPerFrame() {
        return entriesPerFrame(descriptor, driver.speed());
    }

    /**
     * {@link #entriesPerFrame()} of an endpoint at a speed, before any stream is opened.
     *
     * @param d the endpoint
     * @param speed the device's speed
     * @return length-array entries per 1 ms bus frame
     */
    public static int entriesPerFrame(UsbEndpointDescriptor d, UsbSpeed speed) {
        if (speed != UsbSpeed.HIGH) {
            return 1;
        }
        int periodMicroframes = 1 << (Math.max(1, Math.min(16, d.bInterval())) - 1);
        return Math.max(1, 8 / periodMicroframes);
    }

    /** Frames per transfer and transfers in flight, as the driver's hooks chose them at the start; 0 before. */
    public synchronized int[] queueShape() {
        return new int[] {framesPerTransfer, transfersInFlight};
    }

    /** The stream's summary so far. */
    public synchronized StreamStats stats() {
        return counter.snapshot();
    }

    /** Why {@code IssueIsochTransfer} returned {@code null}, by {@code GetLastError()} value. */
    public synchronized Map<Integer, String> issueErrors() {
        return Map.copyOf(issueErrors);
    }

    /**
     * Frames of the transfers {@code IssueIsochTransfer} refused: due, never run (for a stream with no set
     * length the only count of what a refusal, or the device leaving under it, cost).
     */
    public synchronized long framesRefused() {
        return refused;
    }

    /** Frames issued so far. */
    public synchronized long framesIssued() {
        return issued;
    }

    /** Whether the stream will issue nothing more and has nothing in flight. */
    public synchronized boolean isDone() {
        return done;
    }

    /**
     * Whether USBD ended the stream without the driver asking: a transfer cancelled, or one refused for an
     * invalid handle, while the stream was not stopping. That is the device leaving, whose
     * {@code USB_CLOSE_DEVICE} follows the last callback.
     */
    synchronized boolean wasCutOff() {
        return cutOff;
    }

    synchronized void markStopping() {
        stopping = true;
        if (inFlight == 0) {
            done = true;
        }
    }

    /** Issues the first transfers. */
    void start() {
        int n;
        synchronized (this) {
            if (started || stopping) {
                return;
            }
            started = true;
            n = Math.max(1, driver.transfersInFlight(this));
            transfersInFlight = n;
        }
        int frames = Math.max(1, driver.framesPerTransfer(this));
        synchronized (this) {
            framesPerTransfer = frames;
        }
        List<Slot> slots = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            slots.add(new Slot(frames));
        }
        for (Slot s : slots) {
            if (!s.issue()) {
                break;
            }
        }
        checkDone();
    }

    private void checkDone() {
        boolean nowDone;
        synchronized (this) {
            nowDone = !done && inFlight == 0 && (stopping || endOfData || issued >= driver.frameLimit(this));
            if (nowDone) {
                done = true;
            }
        }
        if (nowDone) {
            driver.streamDone();
        }
    }

    /** One transfer's worth of memory, reused for every transfer it issues. */
    private final class Slot {
        private final ByteBuffer buffer;
        private final int[] lengths;
        private final int[] actual;
        private final int[] errors;
        private final int[] status = new int[1];
        private UsbTransfer transfer;
        private int frames;
        private long first;

        Slot(int capacity) {
            buffer = ByteBuffer.allocateDirect(capacity * maxFrameLength);
            lengths = new int[capacity];
            actual = new int[capacity];
            errors = new int[capacity];
        }

        /** Issues the next transfer; {@code false} if the stream issues no more. */
        synchronized boolean issue() {
            synchronized (issueOrder) {
                return issueInOrder();
            }
        }

        private boolean issueInOrder() {
            UsbFuncs f = driver.funcs;
            int flags = driver.flags(IsochStream.this);
            long start = -1;
            synchronized (IsochStream.this) {
                long limit = driver.frameLimit(IsochStream.this);
                if (stopping || endOfData || issued >= limit) {
                    return false;
                }
                frames = (int) Math.min(lengths.length, limit - issued);
                first = issued;
                for (int k = 0; k < frames; k++) {
                    int len = driver.frameLength(IsochStream.this, first + k);
                    if (len < 1 || len > maxFrameLength) {
                        throw new IllegalStateException(
                                "frameLength(" + (first + k) + ") returned " + len + "; must be 1.." + maxFrameLength);
                    }
                    lengths[k] = len;
                }
                if (!isIn()) {
                    buffer.clear();
                    int filled = driver.fillOut(IsochStream.this, buffer, lengths, frames, first);
                    if (filled <= 0) {
                        endOfData = true;
                        return false;
                    }
                    frames = Math.min(filled, frames);
                }
                if (first == 0) {
                    start = driver.firstStartFrame(IsochStream.this);
                }
                issued += frames;
                inFlight++;
            }
            if (start >= 0) {
                flags &= ~io.github.usbd4j.ce.UsbTypes.USB_START_ISOCH_ASAP;
            }
            int bytes = 0;
            for (int k = 0; k < frames; k++) {
                bytes += lengths[k];
            }
            buffer.clear().limit(bytes);
            transfer = f.issueIsochTransfer(
                    pipe, this::completed, this, flags, (int) Math.max(start, 0), frames, lengths, buffer, 0);
            if (transfer == null) {
                int error = Win32.getLastError();
                synchronized (IsochStream.this) {
                    inFlight--;
                    issued -= frames;
                    refused += frames;
                    counter.failedIssue();
                    issueErrors.put(error, Win32.errorName(error));
                    cutOff |= error == Win32.ERROR_INVALID_HANDLE && !stopping;
                    stopping = true; // a refused transfer ends the stream (CE usbtest gives up too)
                }
                return false;
            }
            return true;
        }

        /** The {@code LPTRANSFER_NOTIFY_ROUTINE}: runs once per transfer, also when it was cancelled. */
        private int completed(Object notifyParameter) {
            boolean again;
            synchronized (this) { // the issuer holds it until the handle is stored
                UsbFuncs f = driver.funcs;
                UsbTransfer t = transfer;
                transfer = null;
                f.getIsochResults(t, frames, actual, errors);
                f.getTransferStatus(t, null, status);
                boolean canceled = IsochStreamingDriver.isCanceled(status[0]);
                long startFrame = Integer.toUnsignedLong(t.startFrame());
                boolean compress = isIn() && driver.compress(IsochStream.this);
                synchronized (IsochStream.this) {
                    counter.transfer();
                    int offset = 0;
                    for (int k = 0; k < frames; k++) {
                        int len = actual[k];
                        int err = errors[k];
                        if (IsochStreamingDriver.neverReached(err)) {
                            counter.canceled();
                        } else {
                            counter.frame(len, err);
                            long busFrame = driver.busFrame(IsochStream.this, startFrame, k);
                            if (isIn()) {
                                ByteBuffer data = buffer.duplicate()
                                        .clear()
                                        .position(offset)
                                        .limit(offset + len)
                                        .slice();
                                driver.onInFrame(IsochStream.this, first + k, busFrame, data, err);
                            } else {
                                driver.onOutFrame(IsochStream.this, first + k, busFrame, len, err);
                            }
                            driver.frameDone(IsochStream.this, first + k, busFrame, len, err);
                        }
                        offset += compress ? len : lengths[k];
                    }
                    inFlight--;
                    if (canceled) {
                        cutOff |= !stopping;
                        stopping = true;
                    }
                    again = !stopping;
                }
                f.closeTransfer(t);
            }
            if (again) {
                issue();
            }
            checkDone();
            return 0;
        }
    }
}
