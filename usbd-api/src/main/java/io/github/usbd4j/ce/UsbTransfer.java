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
 *
 * <p><b>Closing.</b> {@link #close()} (CE's {@code CloseTransfer}) cancels a pending transfer and waits until
 * it is complete, at most about a second as CE's USBD does, but not for its callback: that may be queued
 * behind the caller's own callback, and it still runs, exactly once, afterwards (usb-iso-apis.md §1.7).
 *
 * <p><b>A closed handle.</b> From its close on, a handle is invalid: every {@link UsbFuncs} call with it
 * answers {@code FALSE} with {@code ERROR_INVALID_HANDLE} (a second {@code CloseTransfer} included) and
 * reaches no other transfer, {@link #close()} and {@link #abort()} do nothing, and the per-frame methods
 * throw {@link IllegalStateException}. The runtime keeps a closed handle out of use while the next 16,384
 * transfers of its pipe are closed (the runtime's builder sets the number); only after that may the same
 * object stand for a newer transfer of that pipe. A driver that keeps using a handle that long after closing
 * it may therefore reach a newer transfer, as CE's recycled memory may (§1.7 rule c).
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

    /**
     * {@code CloseTransfer}: cancels a pending transfer, waits until it is complete (not for its callback,
     * which still runs once), and frees the handle. A second close does nothing.
     */
    @Override
    void close();
}
