package io.github.usbd4j.internal.ce;

import static io.github.usbd4j.ce.UsbTypes.USB_NO_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_WAIT;
import static io.github.usbd4j.ce.UsbTypes.USB_SHORT_TRANSFER_OK;

import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.internal.engine.Transfer;
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
        return isComplete() ? transfer.backend().actualLength() : 0;
    }

    @Override
    public int error() {
        return isComplete() ? CeStatus.transferError(transfer.backend(), shortOk()) : USB_NO_ERROR;
    }

    @Override
    public int frameCount() {
        return isOpen() && transfer.isIsochronous() ? transfer.backend().packets() : 0;
    }

    @Override
    public int frameLength(int frame) {
        checkFrame(frame);
        return transfer.backend().packetActual(frame);
    }

    @Override
    public int frameError(int frame) {
        checkFrame(frame);
        return CeStatus.frameError(transfer.backend(), frame, shortOk());
    }

    /**
     * {@code GetIsochResults}' copy of a complete transfer: {@code min(n, dwFrames)} entries
     * ([§1.8](reference/ce-usbd.html#s1-8)).
     *
     * @return the entries written; the caller zeroes the rest
     */
    int copyIsochResults(int n, int[] lengths, int[] errors) {
        BackendTransfer b = transfer.backend();
        boolean cancelled = CeStatus.isCancellation(b.status());
        boolean underrunIsError = CeStatus.underrunIsError(b, shortOk());
        int m = Math.min(n, frameCount());
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
        return m;
    }

    private void checkFrame(int frame) {
        if (!isOpen()) {
            throw new IllegalStateException("the transfer is closed");
        }
        if (!transfer.isComplete(generation)) {
            throw new IllegalStateException("the transfer is still pending");
        }
        if (frame < 0 || frame >= frameCount()) {
            throw new IndexOutOfBoundsException("frame " + frame + " of " + frameCount());
        }
    }

    @Override
    public int startFrame() {
        return isOpen() && transfer.isIsochronous() ? (int) transfer.backend().actualStartFrame() : -1;
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
