package io.github.usbd4j.host.spi;

/**
 * The outcome of a packet or transfer on the bus, in host-controller terms. The runtime maps each to
 * the personality's code (CE {@code USB_ERROR}, WDM/WinUSB {@code USBD_STATUS}) in one place.
 */
public enum PacketStatus {
    /** Transferred. */
    OK,
    /** CRC error. */
    CRC,
    /** Bit-stuffing error. */
    BIT_STUFFING,
    /** Data toggle / PID sequence mismatch. */
    DATA_TOGGLE_MISMATCH,
    /** The endpoint answered STALL. */
    STALL,
    /** No response (timeout on the bus). */
    DEVICE_NOT_RESPONDING,
    /** PID check failure. */
    PID_CHECK_FAILURE,
    /** Unexpected PID. */
    UNEXPECTED_PID,
    /** The device sent more than the packet or buffer allows (babble). */
    DATA_OVERRUN,
    /** The device sent less than requested. */
    DATA_UNDERRUN,
    /** The host could not store incoming data in time. */
    BUFFER_OVERRUN,
    /** The host could not supply outgoing data in time. */
    BUFFER_UNDERRUN,
    /** The host controller never ran this packet (a missed frame, or a frame already past). */
    NOT_ACCESSED,
    /** Not run because the transfer was cancelled. */
    CANCELED,
    /** Not run because the device left the bus. */
    DEVICE_GONE,
    /** The backend failed for another reason (an I/O error of the platform). */
    HOST_ERROR
}
