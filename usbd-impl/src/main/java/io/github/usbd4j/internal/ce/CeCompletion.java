package io.github.usbd4j.internal.ce;

import static io.github.usbd4j.ce.UsbTypes.USB_COMPRESS_ISOCH;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_SHORT_TRANSFER_OK;
import static io.github.usbd4j.ce.UsbTypes.USB_START_ISOCH_ASAP;

import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.internal.engine.Transfer;
import io.github.usbd4j.internal.engine.TransferOwner;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * What happens to a CE transfer when it completes ([§1.7](reference/ce-usbd.html#s1-7),
 * [§1.8](reference/ce-usbd.html#s1-8)): the data is put in its final place before anyone is told ({@code
 * USB_COMPRESS_ISOCH}, the out-parameters of the standard requests), the Java-first future completes, and the driver's
 * {@code LPTRANSFER_NOTIFY_ROUTINE} runs. One instance serves every CE transfer.
 */
enum CeCompletion implements TransferOwner {
    INSTANCE;

    @Override
    public void resultsReady(Transfer t) {
        CeRequest r = CeRequest.of(t);
        BackendTransfer b = t.backend();
        if (b.type() == TransferType.ISOCHRONOUS) {
            if ((r.flags & USB_COMPRESS_ISOCH) != 0 && b.isIn()) {
                compress(b);
            }
        } else if (r.out != null && b.status() == PacketStatus.OK) {
            ByteBuffer data = b.buffer();
            int at = b.offset();
            switch (r.kind) {
                case GET_INTERFACE -> r.out[0] = data.get(at) & 0xFF;
                case GET_STATUS, SYNC_FRAME -> r.out[0] = (data.get(at) & 0xFF) | (data.get(at + 1) & 0xFF) << 8;
                default -> {}
            }
        }
    }

    /**
     * {@code USB_COMPRESS_ISOCH}: every received frame, good or bad, packed back to back
     * ([§1.8](reference/ce-usbd.html#s1-8)).
     */
    private static void compress(BackendTransfer t) {
        ByteBuffer b = t.buffer();
        int src = t.offset();
        int dst = t.offset();
        for (int k = 0; k < t.packets(); k++) {
            int len = t.packetActual(k);
            if (src != dst && len > 0) {
                moveDown(b, src, dst, len);
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

    @Override
    public void completed(Transfer t) {
        CeRequest r = CeRequest.of(t);
        CompletableFuture<UsbTransfer> f = r.future; // a future made later sees the transfer complete itself
        if (f != null) {
            f.complete(r.handle);
        }
    }

    @Override
    public void callback(Transfer t) {
        CeRequest r = CeRequest.of(t);
        r.routine.notify(r.parameter);
    }

    @Override
    public void recycled(Transfer t) {
        CeRequest.of(t).clear();
    }

    // ---- for a capture: what the CE caller asked for and is told ----------------------------------------

    @Override
    public boolean isAsap(Transfer t) {
        return (CeRequest.of(t).flags & USB_START_ISOCH_ASAP) != 0;
    }

    @Override
    public boolean shortIsError(Transfer t) {
        return t.isIsochronous()
                ? (CeRequest.of(t).flags & USB_SHORT_TRANSFER_OK) == 0
                : t.backend().shortNotOk();
    }

    /** {@code CE: } the transfer's code as {@code GetTransferStatus} gives it, then the frames that failed. */
    @Override
    public void describeStatus(Transfer t, StringBuilder out) {
        BackendTransfer b = t.backend();
        boolean shortOk = (CeRequest.of(t).flags & USB_SHORT_TRANSFER_OK) != 0;
        out.append("CE: ").append(UsbTypes.errorName(CeStatus.transferError(b, shortOk)));
        if (b.type() != TransferType.ISOCHRONOUS) {
            return;
        }
        boolean first = true;
        for (int k = 0; k < b.packets(); k++) {
            int err = CeStatus.frameError(b, k, shortOk);
            if (err != USB_NO_ERROR) {
                out.append(first ? "; frames " : ", ").append(k).append('=').append(UsbTypes.errorName(err));
                first = false;
            }
        }
    }
}
