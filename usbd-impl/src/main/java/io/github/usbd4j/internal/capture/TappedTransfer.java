package io.github.usbd4j.internal.capture;

import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.BackendTransfer;

/** What a {@link TransferTap} sees of one transfer: the backend request and results, and the personality's view. */
public interface TappedTransfer {

    /** An id that pairs the submission with its completion (usbmon's URB id); stable while in flight. */
    long urbId();

    /** The device. */
    BackendDevice device();

    /** The request and, once complete, the bus results. */
    BackendTransfer request();

    /** Interrupt and isochronous: the pipe's service period in bus intervals; else 0. */
    int interval();

    /** Isochronous: the start frame was chosen by the stack (ASAP). */
    boolean asap();

    /** A short IN transfer or isochronous packet is an error for the caller (Linux's URB_SHORT_NOT_OK). */
    boolean shortNotOk();

    /**
     * Appends the status the personality's caller sees, e.g. {@code CE: USB_NO_ERROR} and the frames that
     * did not end with {@code USB_NO_ERROR}; only called from {@link TransferTap#completed}.
     *
     * @param out where to append (plain ASCII)
     */
    void describeStatus(StringBuilder out);
}
