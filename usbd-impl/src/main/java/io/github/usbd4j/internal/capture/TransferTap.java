package io.github.usbd4j.internal.capture;

import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.PacketStatus;

/**
 * The engine's capture hook: told of every device the runtime attaches and of every transfer it hands to
 * the backend, where usbmon sits in Linux (between the USB core and the host controller driver). A tap
 * must be thread-safe, must not block for long, and never throws: the engine calls it on the submitting
 * thread and on the backend's completion thread. When no capture is configured the engine holds no tap,
 * and each call site costs one null check.
 */
public interface TransferTap {

    /**
     * A device was attached and opened; its descriptors are what the runtime parsed.
     *
     * @param device the device
     */
    void attached(BackendDevice device);

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
