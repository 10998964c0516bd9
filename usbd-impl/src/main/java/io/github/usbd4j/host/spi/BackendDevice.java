package io.github.usbd4j.host.spi;

import io.github.usbd4j.descriptor.UsbSpeed;
import java.util.List;

/**
 * A device on a {@link HostController}. Descriptors are readable at once; transfers need
 * {@link #open()}. All methods are thread-safe.
 */
public interface BackendDevice {

    /** Where the device is, for messages, e.g. {@code "sim:1-3"}. */
    String location();

    /** The speed the device runs at. */
    UsbSpeed speed();

    /** The 18-byte device descriptor as the device returned it. */
    byte[] deviceDescriptor();

    /** Every configuration descriptor (whole, wTotalLength bytes), index 0 first. */
    List<byte[]> configurationDescriptors();

    /** The {@code bConfigurationValue} the device is configured with. */
    int activeConfigurationValue();

    /**
     * Opens the device for transfers (on a real stack: open, detach kernel drivers, claim interfaces).
     *
     * @throws BackendException if it cannot be opened (permissions, gone, busy)
     */
    void open() throws BackendException;

    /** Closes the device; pending transfers are cancelled first. Idempotent. */
    void close();

    /**
     * Reserves periodic bandwidth for an endpoint before it is used.
     *
     * @param endpointAddress the endpoint
     * @param type isochronous or interrupt
     * @param bytesPerInterval payload bytes per service interval
     * @param period service period in bus intervals
     * @return {@code false} when the bus's periodic budget would be exceeded
     */
    boolean reservePeriodic(int endpointAddress, TransferType type, int bytesPerInterval, int period);

    /**
     * Releases what {@link #reservePeriodic} reserved. Idempotent.
     *
     * @param endpointAddress the endpoint
     */
    void releasePeriodic(int endpointAddress);

    /**
     * Starts a transfer. The backend calls {@link BackendTransfer#accept()} before anything of it can run or
     * complete; completion is then reported through {@link BackendTransfer#complete()}, exactly once, also
     * for a transfer that is cancelled or whose device leaves. A backend that gives up on a transfer before
     * anything of it ran calls {@link BackendTransfer#refuse()} and throws.
     *
     * @param transfer the prepared transfer
     * @throws BackendException if it cannot be started at all (then no completion follows, and the transfer
     *     is not accepted)
     * @throws IllegalStateException if the transfer is not prepared (or still submitted)
     */
    void submit(BackendTransfer transfer) throws BackendException;

    /**
     * Asks to cancel a submitted transfer. Its completion still arrives through its listener: packets
     * that did not run report {@link PacketStatus#CANCELED} or stay {@link PacketStatus#NOT_ACCESSED},
     * and the transfer's status is {@link PacketStatus#CANCELED} unless it had already finished. For a
     * transfer that is not submitted (not yet, or no more) it does nothing; it may be called more than once.
     *
     * @param transfer the transfer
     */
    void cancel(BackendTransfer transfer);

    /**
     * Clears the host side of a halted endpoint and its data toggle (CE's {@code ResetPipe}).
     *
     * @param endpointAddress the endpoint
     */
    void resetEndpoint(int endpointAddress);

    /**
     * Suspends the device's port.
     *
     * @return {@code false} if the platform cannot
     */
    boolean suspend();

    /**
     * Resumes the device's port.
     *
     * @return {@code false} if the platform cannot
     */
    boolean resume();

    /**
     * Takes the device off the bus (CE's {@code DisableDevice}); with {@code reenumerate} it comes back
     * as a new arrival.
     *
     * @param reenumerate reset and report it again
     * @return {@code false} if the platform cannot
     */
    boolean disable(boolean reenumerate);
}
