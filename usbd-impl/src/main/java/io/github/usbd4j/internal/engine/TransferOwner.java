package io.github.usbd4j.internal.engine;

/**
 * What a personality does with the transfers it issues: its hooks into a transfer's life. One object serves
 * many transfers (the CE personality has one; a WinUSB or WDM batch is its own owner), so issuing a transfer
 * allocates nothing. All hooks run once per use of a {@link Transfer}.
 */
public interface TransferOwner {

    /**
     * The backend's results are in and the transfer is about to become complete: final touches to the data
     * (CE's {@code USB_COMPRESS_ISOCH}, out-parameters), on the thread that completes it. Nobody is told yet.
     *
     * @param transfer the transfer
     */
    default void resultsReady(Transfer transfer) {}

    /**
     * The transfer is complete (results final, waiters woken); on the completing thread, before its callback
     * is queued. The transfer cannot be recycled during this call.
     *
     * @param transfer the transfer
     */
    default void completed(Transfer transfer) {}

    /**
     * The transfer's callback, for a transfer issued with one: exactly once, on the callback executor, in
     * completion order per pipe.
     *
     * @param transfer the transfer
     */
    default void callback(Transfer transfer) {}

    /**
     * The transfer goes back to its pool: drop references to the request (buffers, routines).
     *
     * @param transfer the transfer
     */
    default void recycled(Transfer transfer) {}

    // ---- how the caller sees it, for a capture ({@link TransferTap}) --------------------------------

    /**
     * Isochronous: whether the caller let the stack choose the start frame (ASAP; usbmon's
     * {@code URB_ISO_ASAP}).
     *
     * @param transfer the transfer
     */
    default boolean isAsap(Transfer transfer) {
        return false;
    }

    /**
     * Whether a short IN transfer or packet is an error to the caller (Linux's {@code URB_SHORT_NOT_OK}).
     *
     * @param transfer the transfer
     */
    default boolean shortIsError(Transfer transfer) {
        return transfer.backend().shortNotOk();
    }

    /**
     * Appends the status the caller is told of a complete transfer, in the personality's own terms (e.g.
     * {@code CE: USB_NO_ERROR} and the frames that failed); plain ASCII. Called on the completing thread
     * before {@link #resultsReady}; appends nothing by default.
     *
     * @param transfer the complete transfer
     * @param out where to append
     */
    default void describeStatus(Transfer transfer, StringBuilder out) {}
}
