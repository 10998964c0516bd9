package io.github.usbd4j.internal.ce;

import static io.github.usbd4j.ce.UsbTypes.*;

import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;

/**
 * The one place where the engine's neutral results become CE {@code USB_ERROR} codes
 * ([§1.3](reference/ce-usbd.html#s1-3), [§1.7](reference/ce-usbd.html#s1-7), [§1.8](reference/ce-usbd.html#s1-8)): per
 * packet, per frame and for the transfer as a whole. Translated when asked, from the results the backend recorded.
 */
final class CeStatus {
    private CeStatus() {}

    /**
     * The CE code of a transfer's or packet's status.
     *
     * @param status the backend status
     * @param cancelled the transfer was aborted, closed or its device left: packets that never ran keep
     *     {@code USB_NOT_COMPLETE_ERROR} ([§1.8](reference/ce-usbd.html#s1-8)) instead of reporting a missed frame
     */
    static int of(PacketStatus status, boolean cancelled) {
        return switch (status) {
            case OK -> USB_NO_ERROR;
            case CRC -> USB_CRC_ERROR;
            case BIT_STUFFING -> USB_BIT_STUFFING_ERROR;
            case DATA_TOGGLE_MISMATCH -> USB_DATA_TOGGLE_MISMATCH_ERROR;
            case STALL -> USB_STALL_ERROR;
            case DEVICE_NOT_RESPONDING -> USB_DEVICE_NOT_RESPONDING_ERROR;
            case PID_CHECK_FAILURE -> USB_PID_CHECK_FAILURE_ERROR;
            case UNEXPECTED_PID -> USB_UNEXPECTED_PID_ERROR;
            case DATA_OVERRUN -> USB_DATA_OVERRUN_ERROR;
            case DATA_UNDERRUN -> USB_DATA_UNDERRUN_ERROR;
            case BUFFER_OVERRUN -> USB_BUFFER_OVERRUN_ERROR;
            case BUFFER_UNDERRUN -> USB_BUFFER_UNDERRUN_ERROR;
            case NOT_ACCESSED -> cancelled ? USB_NOT_COMPLETE_ERROR : USB_NOT_ACCESSED_ERROR;
            case CANCELED -> cancelled ? USB_NOT_COMPLETE_ERROR : USB_CANCELED_ERROR;
            case DEVICE_GONE -> USB_CANCELED_ERROR;
            case HOST_ERROR -> USB_ISOCH_ERROR;
        };
    }

    /** {@code true} when the transfer as a whole was cut short by an abort, a close or a detach. */
    static boolean isCancellation(PacketStatus status) {
        return status == PacketStatus.CANCELED || status == PacketStatus.DEVICE_GONE;
    }

    /**
     * Frame {@code k}'s code ([§1.8](reference/ce-usbd.html#s1-8)): a short IN frame is {@code
     * USB_DATA_UNDERRUN_ERROR}, as OHCI reports it, unless the caller allowed short transfers.
     *
     * @param t the completed transfer
     * @param k the frame
     * @param shortOk {@code USB_SHORT_TRANSFER_OK} was given
     */
    static int frameError(BackendTransfer t, int k, boolean shortOk) {
        return frameError(
                t.packetStatus(k),
                t.packetActual(k),
                t.packetLength(k),
                isCancellation(t.status()),
                underrunIsError(t, shortOk));
    }

    /**
     * Frame {@code k}'s code from its parts, as {@link #frameError(BackendTransfer, int, boolean)} gives it; for a
     * loop over the frames, which reads the transfer-wide inputs once (small, so that every compiler inlines it).
     *
     * @param status the frame's status
     * @param actual its bytes transferred
     * @param length its requested length
     * @param cancelled {@link #isCancellation} of the transfer's status
     * @param underrunIsError {@link #underrunIsError} of the transfer
     */
    static int frameError(PacketStatus status, int actual, int length, boolean cancelled, boolean underrunIsError) {
        if (status != PacketStatus.OK) {
            return of(status, cancelled);
        }
        return underrunIsError && actual < length ? USB_DATA_UNDERRUN_ERROR : USB_NO_ERROR;
    }

    /** Whether a short frame of {@code t} is {@code USB_DATA_UNDERRUN_ERROR}: IN, without USB_SHORT_TRANSFER_OK. */
    static boolean underrunIsError(BackendTransfer t, boolean shortOk) {
        return !shortOk && t.isIn();
    }

    /**
     * The transfer's code as {@code GetTransferStatus} reports it: the cancellation, or for an isochronous
     * transfer the first frame that failed (frames never reached do not count).
     *
     * @param t the completed transfer
     * @param shortOk {@code USB_SHORT_TRANSFER_OK} was given
     */
    static int transferError(BackendTransfer t, boolean shortOk) {
        if (t.type() != TransferType.ISOCHRONOUS || isCancellation(t.status())) {
            return of(t.status(), false);
        }
        boolean underrunIsError = underrunIsError(t, shortOk);
        for (int k = 0; k < t.packets(); k++) { // not cancelled: that returned above
            int err = frameError(t.packetStatus(k), t.packetActual(k), t.packetLength(k), false, underrunIsError);
            if (err != USB_NO_ERROR && err != USB_NOT_COMPLETE_ERROR) {
                return err;
            }
        }
        return USB_NO_ERROR;
    }
}
