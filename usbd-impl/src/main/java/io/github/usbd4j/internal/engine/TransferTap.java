package io.github.usbd4j.internal.engine;

import io.github.usbd4j.host.spi.PacketStatus;

/**
 * Sees every transfer the engine hands to a backend, and its completion: where usbmon sits in Linux, between
 * the USB core and the host controller driver. A capture implements it ({@code Usbd.Builder.capture}).
 *
 * <p>The engine holds at most one tap, {@code null} when nothing captures, so that a run without one pays a
 * null check per submission and per completion. It calls the tap in two places only:
 *
 * <ul>
 *   <li>{@link Engine#submit}: {@link #submitted} just before the backend gets the transfer, and
 *       {@link #refused} if the backend throws instead of taking it (every personality's transfers, and the
 *       engine's own control requests, pass there);
 *   <li>{@link Transfer#completed}: {@link #completed} once per use, when the backend's results are final and
 *       before the transfer's owner finishes the data (CE's {@code USB_COMPRESS_ISOCH}) or anyone is told.
 * </ul>
 *
 * <p>What the tap reads: the transfer's {@link Transfer#backend() request and results}, its {@link
 * Transfer#pipe() pipe} and device, its {@link Transfer#serial() serial number}, and through its {@link
 * Transfer#owner() owner} how its caller sees it ({@link TransferOwner#isAsap}, {@link
 * TransferOwner#shortIsError}, {@link TransferOwner#describeStatus}). A tap is thread-safe, does not block
 * for long and never throws: the engine calls it on the submitting thread and on the backend's completion
 * thread.
 */
public interface TransferTap {

    /**
     * A transfer is about to be handed to the backend (before {@code submit}, so that its submission is seen
     * before its completion).
     *
     * @param transfer the transfer, its request set
     */
    void submitted(Transfer transfer);

    /**
     * The backend refused a transfer that {@link #submitted} announced: no completion follows.
     *
     * @param transfer the transfer
     * @param why the backend's reason
     */
    void refused(Transfer transfer, PacketStatus why);

    /**
     * A transfer's results are final; its owner has not yet touched the data and nobody has been told.
     *
     * @param transfer the transfer
     */
    void completed(Transfer transfer);
}
