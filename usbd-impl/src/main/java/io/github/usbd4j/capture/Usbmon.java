package io.github.usbd4j.capture;

import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;

/**
 * The Linux usbmon record format (the kernel's {@code Documentation/usb/usbmon.rst}, binary interface) as
 * pcap and pcapng files carry it: link types, the header layout, event and transfer type codes, URB
 * transfer flags, and the errno values usbmon reports as statuses.
 *
 * <p>A record is a 64-byte header ({@link #LINKTYPE_USB_LINUX_MMAPPED}; 48 bytes for the older
 * {@link #LINKTYPE_USB_LINUX}), then, for an isochronous transfer, one 16-byte descriptor per packet
 * (status, offset, length, padding), then the data. Header fields are in the byte order of the machine
 * that captured (the file's byte order); setup packets and descriptors inside the data are USB's little
 * endian.
 */
public final class Usbmon {
    private Usbmon() {}

    /** pcap link type of the 48-byte header (usbmon's text-era binary API). */
    public static final int LINKTYPE_USB_LINUX = 189;
    /** pcap link type of the 64-byte header (the memory-mapped binary API); what usbd4j writes. */
    public static final int LINKTYPE_USB_LINUX_MMAPPED = 220;

    /** Length of the header of {@link #LINKTYPE_USB_LINUX_MMAPPED}. */
    public static final int HEADER_LENGTH = 64;
    /** Length of the header of {@link #LINKTYPE_USB_LINUX}. */
    public static final int LEGACY_HEADER_LENGTH = 48;
    /** Length of one isochronous packet descriptor. */
    public static final int ISO_DESCRIPTOR_LENGTH = 16;

    /** Event type: the URB was submitted. */
    public static final char SUBMIT = 'S';
    /** Event type: the URB completed (its callback). */
    public static final char COMPLETE = 'C';
    /** Event type: the submission failed. */
    public static final char ERROR = 'E';

    /** usbmon transfer type: isochronous. */
    public static final int XFER_ISOCHRONOUS = 0;
    /** usbmon transfer type: interrupt. */
    public static final int XFER_INTERRUPT = 1;
    /** usbmon transfer type: control. */
    public static final int XFER_CONTROL = 2;
    /** usbmon transfer type: bulk. */
    public static final int XFER_BULK = 3;

    /** {@code flag_setup}/{@code flag_data}: present. */
    public static final int FLAG_PRESENT = 0;
    /** {@code flag_setup}: no setup packet. */
    public static final int FLAG_NO_SETUP = '-';
    /** {@code flag_data} of an IN submission: the data comes with the completion. */
    public static final int FLAG_DATA_IN_LATER = '<';
    /** {@code flag_data} of an OUT completion: the data went with the submission. */
    public static final int FLAG_DATA_OUT_EARLIER = '>';
    /** {@code flag_data} of an error event. */
    public static final int FLAG_DATA_ERROR = 'E';

    /** URB flag: a short IN transfer (or packet) is an error. */
    public static final int URB_SHORT_NOT_OK = 0x0001;
    /** URB flag: isochronous, start as soon as possible. */
    public static final int URB_ISO_ASAP = 0x0002;
    /** URB flag: device to host. */
    public static final int URB_DIR_IN = 0x0200;

    /** {@code -EINPROGRESS}, the status of every submission. */
    public static final int EINPROGRESS = -115;
    /** {@code -EXDEV}: an isochronous packet that did not run (also every packet of a submission). */
    public static final int EXDEV = -18;
    /** {@code -EPIPE}: stall. */
    public static final int EPIPE = -32;
    /** {@code -EILSEQ}: CRC or data toggle error. */
    public static final int EILSEQ = -84;
    /** {@code -EPROTO}: bit stuffing or PID error. */
    public static final int EPROTO = -71;
    /** {@code -ETIME}: no response. */
    public static final int ETIME = -62;
    /** {@code -EOVERFLOW}: babble. */
    public static final int EOVERFLOW = -75;
    /** {@code -EREMOTEIO}: short IN data while {@link #URB_SHORT_NOT_OK} is set. */
    public static final int EREMOTEIO = -121;
    /** {@code -ECOMM}: the host could not store IN data in time. */
    public static final int ECOMM = -70;
    /** {@code -ENOSR}: the host could not fetch OUT data in time. */
    public static final int ENOSR = -63;
    /** {@code -ECONNRESET}: unlinked (cancelled). */
    public static final int ECONNRESET = -104;
    /** {@code -ENOENT}: killed (cancelled synchronously). */
    public static final int ENOENT = -2;
    /** {@code -ESHUTDOWN}: the device or controller went away. */
    public static final int ESHUTDOWN = -108;
    /** {@code -ENODEV}: no such device. */
    public static final int ENODEV = -19;
    /** {@code -EIO}: another host error. */
    public static final int EIO = -5;

    /**
     * The errno usbmon reports for a bus status, as Linux host controller drivers report them (the
     * kernel's {@code Documentation/driver-api/usb/error-codes.rst}); 0 for success.
     *
     * @param status the status
     * @return the (negative) errno, or 0
     */
    public static int errno(PacketStatus status) {
        return switch (status) {
            case OK -> 0;
            case CRC, DATA_TOGGLE_MISMATCH -> EILSEQ;
            case BIT_STUFFING, PID_CHECK_FAILURE, UNEXPECTED_PID -> EPROTO;
            case STALL -> EPIPE;
            case DEVICE_NOT_RESPONDING -> ETIME;
            case DATA_OVERRUN -> EOVERFLOW;
            case DATA_UNDERRUN -> EREMOTEIO;
            case BUFFER_OVERRUN -> ECOMM;
            case BUFFER_UNDERRUN -> ENOSR;
            case NOT_ACCESSED -> EXDEV;
            case CANCELED -> ECONNRESET;
            case DEVICE_GONE -> ESHUTDOWN;
            case HOST_ERROR -> EIO;
        };
    }

    /**
     * The bus status of a usbmon errno: the inverse of {@link #errno}, where several statuses share an
     * errno the first of them ({@code -EILSEQ} is {@link PacketStatus#CRC}, {@code -EPROTO}
     * {@link PacketStatus#BIT_STUFFING}); an errno no host controller reports for a packet is
     * {@link PacketStatus#HOST_ERROR}.
     *
     * @param errno the status of a usbmon record or iso descriptor
     * @return the status
     */
    public static PacketStatus packetStatus(int errno) {
        return switch (errno) {
            case 0 -> PacketStatus.OK;
            case EILSEQ -> PacketStatus.CRC;
            case EPROTO -> PacketStatus.BIT_STUFFING;
            case EPIPE -> PacketStatus.STALL;
            case ETIME -> PacketStatus.DEVICE_NOT_RESPONDING;
            case EOVERFLOW -> PacketStatus.DATA_OVERRUN;
            case EREMOTEIO -> PacketStatus.DATA_UNDERRUN;
            case ECOMM -> PacketStatus.BUFFER_OVERRUN;
            case ENOSR -> PacketStatus.BUFFER_UNDERRUN;
            case EXDEV -> PacketStatus.NOT_ACCESSED;
            case ECONNRESET, ENOENT -> PacketStatus.CANCELED;
            case ESHUTDOWN, ENODEV -> PacketStatus.DEVICE_GONE;
            default -> PacketStatus.HOST_ERROR;
        };
    }

    /**
     * The usbmon transfer type code of a transfer type.
     *
     * @param type the type
     * @return {@link #XFER_ISOCHRONOUS}, {@link #XFER_INTERRUPT}, {@link #XFER_CONTROL} or {@link #XFER_BULK}
     */
    public static int xferType(TransferType type) {
        return switch (type) {
            case ISOCHRONOUS -> XFER_ISOCHRONOUS;
            case INTERRUPT -> XFER_INTERRUPT;
            case CONTROL -> XFER_CONTROL;
            case BULK -> XFER_BULK;
        };
    }

    /**
     * The transfer type of a usbmon transfer type code.
     *
     * @param xferType 0..3
     * @return the type
     * @throws IllegalArgumentException for another code
     */
    public static TransferType transferType(int xferType) {
        return switch (xferType) {
            case XFER_ISOCHRONOUS -> TransferType.ISOCHRONOUS;
            case XFER_INTERRUPT -> TransferType.INTERRUPT;
            case XFER_CONTROL -> TransferType.CONTROL;
            case XFER_BULK -> TransferType.BULK;
            default -> throw new IllegalArgumentException("usbmon transfer type " + xferType + " is not 0..3");
        };
    }
}
