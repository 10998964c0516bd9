package io.github.usbd4j.libusb;

import io.github.usbd4j.host.spi.PacketStatus;
import org.usb4java.LibUsb;

/** The one place where libusb's transfer statuses and error codes become {@link PacketStatus}es. */
final class LibusbCodes {
    private LibusbCodes() {}

    /**
     * A transfer's or an isochronous packet's libusb status.
     *
     * <p>libusb folds the kernel's per-packet {@code -EPROTO}, {@code -EILSEQ}, {@code -ETIME},
     * {@code -ECOMM}, {@code -ENOSR} and {@code -EXDEV} into one {@code LIBUSB_TRANSFER_ERROR}
     * (<a href="{@docRoot}/../reference/linux-peers.html#p2">libraries §2</a>), so the cause (CRC, timeout, a missed
     * frame) is not knowable here: it becomes {@link PacketStatus#HOST_ERROR}, or {@link PacketStatus#NOT_ACCESSED} in
     * a cancelled transfer, where the kernel marks every packet that never ran {@code -EXDEV}.
     *
     * @param status {@code LIBUSB_TRANSFER_*}
     * @param cancelled the transfer as a whole was cancelled
     */
    static PacketStatus ofTransferStatus(int status, boolean cancelled) {
        // the common case first, in a method small enough for every compiler to inline per packet
        return status == LibUsb.TRANSFER_COMPLETED ? PacketStatus.OK : ofFailedTransferStatus(status, cancelled);
    }

    private static PacketStatus ofFailedTransferStatus(int status, boolean cancelled) {
        return switch (status) {
            case LibUsb.TRANSFER_ERROR -> cancelled ? PacketStatus.NOT_ACCESSED : PacketStatus.HOST_ERROR;
            case LibUsb.TRANSFER_TIMED_OUT -> PacketStatus.DEVICE_NOT_RESPONDING;
            case LibUsb.TRANSFER_CANCELLED -> PacketStatus.CANCELED;
            case LibUsb.TRANSFER_STALL -> PacketStatus.STALL;
            case LibUsb.TRANSFER_NO_DEVICE -> PacketStatus.DEVICE_GONE;
            case LibUsb.TRANSFER_OVERFLOW -> PacketStatus.DATA_OVERRUN;
            default -> PacketStatus.HOST_ERROR;
        };
    }

    /**
     * A libusb error code ({@code LIBUSB_ERROR_*}, negative) returned by a call.
     *
     * @param error the code
     */
    static PacketStatus ofError(int error) {
        return switch (error) {
            case LibUsb.ERROR_NO_DEVICE -> PacketStatus.DEVICE_GONE;
            case LibUsb.ERROR_PIPE -> PacketStatus.STALL;
            case LibUsb.ERROR_TIMEOUT -> PacketStatus.DEVICE_NOT_RESPONDING;
            case LibUsb.ERROR_OVERFLOW -> PacketStatus.DATA_OVERRUN;
            default -> PacketStatus.HOST_ERROR;
        };
    }

    /** {@code "LIBUSB_ERROR_ACCESS (-3)"}. */
    static String describe(int error) {
        return LibUsb.errorName(error) + " (" + error + ")";
    }
}
