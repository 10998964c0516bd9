package io.github.usbd4j.internal.capture;

import io.github.usbd4j.host.spi.PacketStatus;

/**
 * The capture's one hook into the engine: told of every transfer the engine hands to the backend and of its
 * completion, where usbmon sits in Linux (between the USB core and the host controller driver).
 *
 * <p>What the engine does for it, and all it does (everything else, the devices' enumeration records
 * included, the tap derives from what it is given):
 *
 * <ul>
 *   <li>holds one tap per runtime, {@code null} when nothing captures ({@code UsbdRuntime.tap}, set from
 *       {@code Usbd.Builder.capture}), so that a run without a capture pays one null check per event;
 *   <li>calls {@link #submitted} just before it hands a transfer to the backend, and {@link #refused} if the
 *       backend throws instead of taking it (both in {@code CeFuncs.submit}, which every personality's
 *       transfers go through);
 *   <li>calls {@link #completed} once per transfer, when the backend reported it and the personality has
 *       translated the results, before it changes the data ({@code USB_COMPRESS_ISOCH}) and before it tells
 *       the caller ({@code TransferState.completed});
 *   <li>describes each transfer as a {@link TappedTransfer}: a stable id while in flight, the device, the
 *       backend request with its results, the pipe's interval, ASAP and short-not-OK, and the status its
 *       caller sees ({@code TransferState} implements it; a WinUSB or WDM batch marks its transfer, so that
 *       the capture gives those callers' USBD_STATUS).
 * </ul>
 *
 * <p>A tap is thread-safe, does not block for long and never throws: the engine calls it on the
 * submitting thread and on the backend's completion thread.
 */
public interface TransferTap {

    /**
     * A transfer is about to be handed to the backend (before {@code submit}, so that its submission is
     * recorded before its completion).
     *
     * @param transfer the transfer, its request set
     */
    void submitted(TappedTransfer transfer);

    /**
     * The backend refused a transfer that {@link #submitted} announced: no completion follows.
     *
     * @param transfer the transfer
     * @param why the backend's reason
     */
    void refused(TappedTransfer transfer, PacketStatus why);

    /**
     * A transfer's results are final and its personality has translated them, before the personality
     * changes the data (CE's {@code USB_COMPRESS_ISOCH}) and before anyone is told.
     *
     * @param transfer the transfer
     */
    void completed(TappedTransfer transfer);
}
