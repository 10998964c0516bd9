package io.github.usbd4j.internal.ce;

import static io.github.usbd4j.ce.UsbTypes.USB_NO_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_WAIT;
import static io.github.usbd4j.ce.UsbTypes.USB_SHORT_TRANSFER_OK;

import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.internal.engine.Transfer;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;

/**
 * A CE transfer handle, {@code USB_TRANSFER} ([§1.7](reference/ce-usbd.html#s1-7)): one use of a pooled engine
 * {@link Transfer}, named by the transfer and its generation. Once closed, the handle stays invalid while it
 * waits in its pipe's quarantine; a stale handle therefore never reaches a later transfer until that
 * quarantine has run through (see {@link io.github.usbd4j.internal.engine.HandleQuarantine}). Its results are
 * the engine's neutral ones, translated into CE codes when asked.
 */
final class CeTransfer implements UsbTransfer {
    final CePipe home;
    private Transfer transfer;
    private volatile int generation;

    CeTransfer(CePipe home) {
        this.home = home;
    }

    /** Makes this handle name a new use. */
    void bind(Transfer t) {
        transfer = t;
        generation = t.generation();
    }

    Transfer transfer() {
        return transfer;
    }

    int generation() {
        return generation;
    }

    /** Whether this handle names a use its client has not closed. */
    boolean isOpen() {
        Transfer t = transfer;
        return t != null && t.isOpen(generation);
    }

    /**
     * Whether what was read of the transfer since {@link #isOpen()} last answered true is this use's. Another
     * thread may close this handle at any time, and its pooled transfer then serves a later use. So a result is
     * read first and checked after: the close is a compare-and-set that comes before every write of a later use,
     * so a read that saw such a write sees the close here.
     */
    private boolean stillOpen() {
        VarHandle.acquireFence(); // the reads before stay before the check
        return isOpen();
    }

    /** {@link #stillOpen()} for results, which a use has only once complete. */
    private boolean stillComplete() {
        return stillOpen() && transfer.isComplete(generation);
    }

    private CeRequest request() {
        return CeRequest.of(transfer);
    }

    private boolean shortOk() {
        return (request().flags & USB_SHORT_TRANSFER_OK) != 0;
    }

    // ---- UsbTransfer --------------------------------------------------------------------------------

    @Override
    public boolean isComplete() {
        Transfer t = transfer;
        return t != null && t.isComplete(generation) && isOpen();
    }

    @Override
    public CompletableFuture<UsbTransfer> completion() {
        if (!isOpen()) {
            throw new IllegalStateException("the transfer is closed");
        }
        CompletableFuture<UsbTransfer> f = request().future();
        if (transfer.isComplete(generation)) { // completed before the future existed: nobody else completes it
            f.complete(this);
        }
        return f;
    }

    @Override
    public int bytesTransferred() {
        if (!isComplete()) {
            return 0;
        }
        int bytes = transfer.backend().actualLength();
        return stillComplete() ? bytes : 0;
    }

    @Override
    public int error() {
        if (!isComplete()) {
            return USB_NO_ERROR;
        }
        int error = CeStatus.transferError(transfer.backend(), shortOk());
        return stillComplete() ? error : USB_NO_ERROR;
    }

    @Override
    public int frameCount() {
        if (!isOpen() || !transfer.isIsochronous()) {
            return 0;
        }
        int frames = transfer.backend().packets();
        return stillOpen() ? frames : 0;
    }

    @Override
    public int frameLength(int frame) {
        checkFrame(frame);
        int length = transfer.backend().packetActual(frame);
        requireStillComplete();
        return length;
    }

    @Override
    public int frameError(int frame) {
        checkFrame(frame);
        int error = CeStatus.frameError(transfer.backend(), frame, shortOk());
        requireStillComplete();
        return error;
    }

    /**
     * {@code GetIsochResults}' copy of a transfer that {@link #isComplete()} found complete: {@code min(n,
     * dwFrames)} entries ([§1.8](reference/ce-usbd.html#s1-8)).
     *
     * @return the entries written, the caller zeroing the rest; -1 if another thread closed the handle meanwhile
     *     (what was written may then be a later use's)
     */
    int copyIsochResults(int n, int[] lengths, int[] errors) {
        BackendTransfer b = transfer.backend();
        boolean cancelled = CeStatus.isCancellation(b.status());
        boolean underrunIsError = CeStatus.underrunIsError(b, shortOk());
        // read unchecked, like the frames: the check after the copy covers them all
        int m = Math.min(n, transfer.isIsochronous() ? b.packets() : 0);
        for (int k = 0; k < m; k++) {
            int actual = b.packetActual(k);
            if (lengths != null) {
                lengths[k] = actual;
            }
            if (errors != null) {
                errors[k] =
                        CeStatus.frameError(b.packetStatus(k), actual, b.packetLength(k), cancelled, underrunIsError);
            }
        }
        return stillComplete() ? m : -1;
    }

    private void checkFrame(int frame) {
        if (!isOpen()) {
            throw new IllegalStateException("the transfer is closed");
        }
        if (!transfer.isComplete(generation)) {
            throw new IllegalStateException("the transfer is still pending");
        }
        int frames = frameCount();
        if (frame < 0 || frame >= frames) {
            requireStillComplete(); // closed meanwhile: say so, not that the frame is out of range
            throw new IndexOutOfBoundsException("frame " + frame + " of " + frames);
        }
    }

    private void requireStillComplete() {
        if (!stillComplete()) {
            throw new IllegalStateException("the transfer is closed");
        }
    }

    @Override
    public int startFrame() {
        if (!isOpen() || !transfer.isIsochronous()) {
            return -1;
        }
        int frame = (int) transfer.backend().actualStartFrame();
        return stillOpen() ? frame : -1;
    }

    @Override
    public void abort() {
        home.device.funcs().abortTransfer(this, USB_NO_WAIT);
    }

    @Override
    public void close() {
        home.device.funcs().closeTransfer(this);
    }

    @Override
    public String toString() {
        Transfer t = transfer;
        if (t == null || !t.isOpen(generation)) {
            return "UsbTransfer[" + home + ", closed]";
        }
        return "UsbTransfer[" + home + ", " + (t.isComplete(generation) ? "complete" : "pending")
                + (t.isIsochronous() ? ", frames=" + t.backend().packets() + ", start=" + startFrame() : "") + "]";
    }
}
