package io.github.usbd4j.ce;

import java.util.concurrent.CompletableFuture;

/**
 * A transfer: CE's {@code USB_TRANSFER} (usb-iso-apis.md §1.1, §1.7), returned by every {@code Issue*}
 * call of {@link UsbFuncs}.
 *
 * <p>CE-style code passes it back to {@link UsbFuncs#isTransferComplete}, {@link UsbFuncs#getTransferStatus},
 * {@link UsbFuncs#getIsochResults}, {@link UsbFuncs#abortTransfer} and {@link UsbFuncs#closeTransfer}.
 * Java-first code uses the same object directly: it is {@link AutoCloseable} ({@link #close()} is
 * {@code CloseTransfer}), its {@link #completion()} is a future, and the per-frame results are typed.
 * The state machine is CE's: issued, then complete (by the bus, an abort or a close), then freed. Every
 * handle must be closed exactly once.
 */
public interface UsbTransfer extends AutoCloseable {

    /** CE's {@code IsTransferComplete}: {@code true} once the results are final. */
    boolean isComplete();

    /**
     * Completes with this transfer when its results are final: after the bus finished it, or an abort or
     * a close cancelled it. It never completes exceptionally: failures are in {@link #error()}.
     *
     * @return the completion
     */
    CompletableFuture<UsbTransfer> completion();

    /** Bytes transferred, as {@code GetTransferStatus} reports it: 0 while pending. */
    int bytesTransferred();

    /** The transfer's {@code USB_ERROR}, as {@code GetTransferStatus} reports it: {@code USB_NO_ERROR} while pending. */
    int error();

    /** The number of isochronous frames; 0 for other transfer types. */
    int frameCount();

    /**
     * Bytes transferred in one isochronous frame.
     *
     * @param frame frame index, 0 to {@code frameCount() - 1}
     * @return the length
     * @throws IllegalStateException while the transfer is pending
     * @throws IndexOutOfBoundsException for a bad index
     */
    int frameLength(int frame);

    /**
     * The {@code USB_ERROR} of one isochronous frame; {@code USB_NOT_COMPLETE_ERROR} for a frame the bus
     * never reached.
     *
     * @param frame frame index, 0 to {@code frameCount() - 1}
     * @return the error code
     * @throws IllegalStateException while the transfer is pending
     * @throws IndexOutOfBoundsException for a bad index
     */
    int frameError(int frame);

    /**
     * The frame number the transfer was scheduled to start at: exact on the simulator, derived from the
     * host clock on real hardware; -1 for non-isochronous transfers.
     *
     * @return the 32-bit frame number, or -1
     */
    int startFrame();

    /**
     * Cancels a pending transfer without waiting, as {@code AbortTransfer(h, USB_NO_WAIT)}; does nothing
     * when it is complete.
     */
    void abort();

    /** {@code CloseTransfer}: aborts a pending transfer, waits for it, and frees the handle. Idempotent. */
    @Override
    void close();
}
