package io.github.usbd4j.internal.engine;

import static io.github.usbd4j.ce.UsbTypes.USB_COMPRESS_ISOCH;
import static io.github.usbd4j.ce.UsbTypes.USB_DATA_UNDERRUN_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_NOT_COMPLETE_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_SHORT_TRANSFER_OK;
import static io.github.usbd4j.ce.UsbTypes.USB_START_ISOCH_ASAP;

import io.github.usbd4j.ce.TransferNotifyRoutine;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.internal.capture.TappedTransfer;
import io.github.usbd4j.internal.capture.TransferTap;
import io.github.usbd4j.usb.UsbdStatus;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * One {@code USB_TRANSFER}: CE's state machine (usb-iso-apis.md §1.7) ISSUED → COMPLETE → FREED, with
 * its per-frame results. Pooled per pipe, as CE's USBD pools its transfer objects: steady-state streaming
 * reuses these objects and their arrays. A freed handle is invalid until the pool hands it out again.
 */
final class TransferState implements UsbTransfer, BackendTransfer.Listener, BooleanSupplier, TappedTransfer {

    /** What to do with the raw result beyond recording it. */
    enum Kind {
        ISOCH,
        DATA,
        GET_INTERFACE,
        GET_STATUS,
        SYNC_FRAME,
        SET_INTERFACE
    }

    private static final int FREE = 0;
    private static final int PENDING = 1;
    private static final int COMPLETE = 2;

    private static final AtomicLong URB_IDS = new AtomicLong();

    final PipeState pipe;
    final BackendTransfer backend = new BackendTransfer(this);
    /** This object's capture id, like the address of a Linux URB: unique among live transfers. */
    private final long urbId = URB_IDS.incrementAndGet();

    private final TransferTap tap;

    private volatile int state = FREE;

    // request
    private TransferNotifyRoutine callback;
    private Object notifyParameter;
    private int flags;
    private Kind kind;
    private ByteBuffer buffer;
    private int base;
    private int[] out;
    private int outArg;
    private int frames;
    private long startFrame = -1;

    // results, final once state == COMPLETE
    private int bytes;
    private int error;
    private int[] frameLength = new int[0];
    private int[] frameError = new int[0];

    private CompletableFuture<UsbTransfer> future;
    private boolean abortRequested;
    private Thread callbackThread;
    private boolean callbackDone;
    /** Counts {@link #begin}s, so a callback that reissued this pooled object does not finish the new use. */
    private int use;

    private boolean issuedWithoutCallback;
    TransferState nextInQueue;
    /** The WinUSB or WDM batch this transfer carries, so that a capture shows its caller's USBD_STATUS. */
    private DesktopIsoch.Batch desktopBatch;

    TransferState(PipeState pipe) {
        this.pipe = pipe;
        this.tap = pipe.device.runtime.tap;
    }

    // ---- lifecycle, driven by the engine --------------------------------------------------------

    /** Takes this object out of the pool for a new transfer. */
    void begin(
            TransferNotifyRoutine callback, Object notifyParameter, int flags, Kind kind, ByteBuffer buffer, int base) {
        this.callback = callback;
        this.notifyParameter = notifyParameter;
        this.flags = flags;
        this.kind = kind;
        this.buffer = buffer;
        this.base = base;
        this.out = null;
        this.outArg = 0;
        this.frames = 0;
        this.startFrame = -1;
        this.bytes = 0;
        this.error = USB_NO_ERROR;
        this.abortRequested = false;
        this.use++;
        this.callbackThread = null;
        this.callbackDone = callback == null;
        this.issuedWithoutCallback = callback == null;
        this.future = null;
        this.nextInQueue = null;
        this.state = PENDING;
    }

    /** Sets the isochronous frame count and puts every frame in its initial state (§1.8). */
    void isochFrames(int frames, long startFrame) {
        if (frameLength.length < frames) {
            frameLength = new int[frames];
            frameError = new int[frames];
        }
        Arrays.fill(frameLength, 0, frames, 0);
        Arrays.fill(frameError, 0, frames, USB_NOT_COMPLETE_ERROR);
        this.frames = frames;
        this.startFrame = startFrame;
    }

    /** Attaches an out-parameter written at completion ({@code GetInterface}, {@code GetStatus}, {@code SyncFrame}). */
    void outParameter(int[] out, int outArg) {
        this.out = out;
        this.outArg = outArg;
    }

    int offset() {
        return base;
    }

    boolean isValid() {
        return state != FREE;
    }

    boolean isPending() {
        return state == PENDING;
    }

    /** Marks an abort as requested; {@code true} the first time (CE cancels only once per transfer). */
    synchronized boolean requestAbort() {
        if (state != PENDING || abortRequested) {
            return false;
        }
        abortRequested = true;
        return true;
    }

    /** Returns the object to the free state; the caller puts it back in the pool. */
    void free() {
        synchronized (this) {
            state = FREE;
            desktopBatch = null;
            callback = null;
            notifyParameter = null;
            buffer = null;
            out = null;
        }
    }

    // ---- completion, on the backend's thread -----------------------------------------------------

    @Override
    public void completed(BackendTransfer t) {
        boolean cancelled = CeStatus.isCancellation(t.status());
        boolean isoch = kind == Kind.ISOCH;
        if (isoch) {
            recordIsochResults(t, cancelled);
        } else {
            bytes = t.actualLength();
            error = CeStatus.of(t.status(), false);
        }
        if (tap != null) {
            tap.completed(this); // the capture hook: results final, data still as the bus delivered it
        }
        if (isoch && (flags & USB_COMPRESS_ISOCH) != 0 && t.isIn()) {
            compress(t);
        } else if (!isoch && error == USB_NO_ERROR) {
            writeOutParameter();
        }
        pipe.transferDone(t.status());
        CompletableFuture<UsbTransfer> f;
        synchronized (this) {
            state = COMPLETE; // results are final before anyone is told (§1.7)
            f = future;
            notifyAll();
        }
        if (f != null) {
            f.complete(this);
        }
        if (callback != null) {
            pipe.callbacks.enqueue(this);
        }
    }

    private void recordIsochResults(BackendTransfer t, boolean cancelled) {
        boolean in = t.isIn();
        boolean shortOk = (flags & USB_SHORT_TRANSFER_OK) != 0;
        int total = 0;
        int first = USB_NO_ERROR;
        for (int k = 0; k < frames; k++) {
            int actual = t.packetActual(k);
            int err = CeStatus.of(t.packetStatus(k), cancelled);
            if (err == USB_NO_ERROR && in && !shortOk && actual < t.packetLength(k)) {
                err = USB_DATA_UNDERRUN_ERROR; // a short IN frame, as OHCI reports it, unless the caller allows it
            }
            frameLength[k] = actual;
            frameError[k] = err;
            total += actual;
            if (first == USB_NO_ERROR && err != USB_NO_ERROR && err != USB_NOT_COMPLETE_ERROR) {
                first = err;
            }
        }
        bytes = total;
        error = cancelled ? CeStatus.of(t.status(), false) : first;
        startFrame = t.actualStartFrame();
    }

    /** {@code USB_COMPRESS_ISOCH}: every received frame, good or bad, packed back to back (§1.8). */
    private void compress(BackendTransfer t) {
        int src = base;
        int dst = base;
        for (int k = 0; k < frames; k++) {
            int len = frameLength[k];
            if (src != dst && len > 0) {
                moveDown(buffer, src, dst, len);
            }
            src += t.packetLength(k);
            dst += len;
        }
    }

    private static void moveDown(ByteBuffer b, int src, int dst, int len) {
        if (b.hasArray()) {
            System.arraycopy(b.array(), b.arrayOffset() + src, b.array(), b.arrayOffset() + dst, len);
        } else {
            for (int i = 0; i < len; i++) { // dst < src: a forward copy is safe for overlapping ranges
                b.put(dst + i, b.get(src + i));
            }
        }
    }

    private void writeOutParameter() {
        switch (kind) {
            case GET_INTERFACE -> out[0] = buffer.get(base) & 0xFF;
            case GET_STATUS, SYNC_FRAME -> out[0] = (buffer.get(base) & 0xFF) | (buffer.get(base + 1) & 0xFF) << 8;
            case SET_INTERFACE -> pipe.device.alternateSettingChanged(outArg >>> 8, outArg & 0xFF);
            default -> {}
        }
    }

    /** Runs the client's callback once, on the callback executor (§1.7: exactly once, after the results). */
    void runCallback() {
        TransferNotifyRoutine cb;
        Object param;
        int mine;
        synchronized (this) {
            mine = use;
            cb = callback;
            param = notifyParameter;
            callback = null; // as CE's HCD clears lpStartAddress after calling it
            callbackThread = Thread.currentThread();
        }
        try {
            if (cb != null) {
                cb.notify(param);
            }
        } catch (RuntimeException e) {
            pipe.device.runtime.callbackFailed(e);
        } finally {
            synchronized (this) {
                if (use == mine) { // else the callback closed this transfer and reissued the object
                    callbackThread = null;
                    callbackDone = true;
                }
                notifyAll();
            }
        }
    }

    /** Waits until the callback has run, unless this thread is the one running it. */
    synchronized void awaitCallback() {
        boolean interrupted = false;
        while (!callbackDone && callbackThread != Thread.currentThread() && state != FREE) {
            try {
                wait(10);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Blocks until complete or the real-time limit passes; {@code true} if complete. */
    synchronized boolean awaitCompleteRealTime(long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (state == PENDING) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000), 0);
        }
        return true;
    }

    // ---- CE queries ------------------------------------------------------------------------------

    int flags() {
        return flags;
    }

    /** {@code true} when the transfer was issued without a callback (synchronous or polled, §1.7). */
    boolean isCallbackLess() {
        return issuedWithoutCallback;
    }

    /** {@code GetIsochResults} copy: {@code min(n, frames)} entries (§1.8). */
    void copyIsochResults(int n, int[] lengths, int[] errors) {
        int m = Math.min(n, frames);
        if (lengths != null) {
            System.arraycopy(frameLength, 0, lengths, 0, m);
        }
        if (errors != null) {
            System.arraycopy(frameError, 0, errors, 0, m);
        }
    }

    // ---- TappedTransfer (capture) --------------------------------------------------------------------

    @Override
    public long urbId() {
        return urbId;
    }

    @Override
    public BackendDevice device() {
        return pipe.device.backend;
    }

    @Override
    public BackendTransfer request() {
        return backend;
    }

    @Override
    public int interval() {
        return pipe.period;
    }

    @Override
    public boolean asap() {
        return (flags & USB_START_ISOCH_ASAP) != 0;
    }

    @Override
    public boolean shortNotOk() {
        return kind == Kind.ISOCH ? (flags & USB_SHORT_TRANSFER_OK) == 0 : backend.shortNotOk();
    }

    /** Marks this transfer as carrying a WinUSB or WDM batch (set before it is submitted). */
    void desktopBatch(DesktopIsoch.Batch batch) {
        this.desktopBatch = batch;
    }

    @Override
    public void describeStatus(StringBuilder out) {
        DesktopIsoch.Batch desktop = desktopBatch;
        if (desktop != null && kind == Kind.ISOCH) {
            // what WinUSB's and WDM's callers see per packet (§3.6); their transfer status is the personality's
            out.append("USBD_STATUS:");
            boolean any = false;
            for (int k = 0; k < frames; k++) {
                if (frameError[k] != USB_NO_ERROR) {
                    out.append(any ? ", " : " packets ")
                            .append(k)
                            .append('=')
                            .append(UsbdStatus.name(DesktopIsoch.usbdStatus(frameError[k], desktop.wasLate(k))));
                    any = true;
                }
            }
            if (!any) {
                out.append(" every packet USBD_STATUS_SUCCESS");
            }
            return;
        }
        out.append("CE: ").append(UsbTypes.errorName(error));
        if (kind != Kind.ISOCH) {
            return;
        }
        boolean first = true;
        for (int k = 0; k < frames; k++) {
            if (frameError[k] != USB_NO_ERROR) {
                out.append(first ? "; frames " : ", ").append(k).append('=').append(UsbTypes.errorName(frameError[k]));
                first = false;
            }
        }
    }

    // ---- UsbTransfer (Java-first) -----------------------------------------------------------------

    @Override
    public boolean isComplete() {
        return state == COMPLETE;
    }

    /** Completion as a condition for the virtual clock's {@code runUntil}, without allocating a lambda. */
    @Override
    public boolean getAsBoolean() {
        return state != PENDING;
    }

    @Override
    public synchronized CompletableFuture<UsbTransfer> completion() {
        if (future == null) {
            future = new CompletableFuture<>();
            if (state == COMPLETE) {
                future.complete(this);
            }
        }
        return future;
    }

    @Override
    public int bytesTransferred() {
        return state == COMPLETE ? bytes : 0;
    }

    @Override
    public int error() {
        return state == COMPLETE ? error : USB_NO_ERROR;
    }

    @Override
    public int frameCount() {
        return kind == Kind.ISOCH ? frames : 0;
    }

    @Override
    public int frameLength(int frame) {
        checkFrame(frame);
        return frameLength[frame];
    }

    @Override
    public int frameError(int frame) {
        checkFrame(frame);
        return frameError[frame];
    }

    private void checkFrame(int frame) {
        if (state != COMPLETE) {
            throw new IllegalStateException("the transfer is " + (state == FREE ? "closed" : "still pending"));
        }
        if (frame < 0 || frame >= frameCount()) {
            throw new IndexOutOfBoundsException("frame " + frame + " of " + frameCount());
        }
    }

    @Override
    public int startFrame() {
        return (int) startFrame;
    }

    @Override
    public void abort() {
        pipe.device.runtime.funcs.abortTransfer(this, io.github.usbd4j.ce.UsbTypes.USB_NO_WAIT);
    }

    @Override
    public void close() {
        pipe.device.runtime.funcs.closeTransfer(this);
    }

    @Override
    public String toString() {
        return "UsbTransfer[" + pipe + ", " + (state == FREE ? "closed" : state == PENDING ? "pending" : "complete")
                + (kind == Kind.ISOCH ? ", frames=" + frames + ", start=" + startFrame : "") + "]";
    }
}
