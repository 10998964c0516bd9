package io.github.usbd4j.usbip;

/**
 * USB/IP wire constants (Linux {@code Documentation/usb/usbip_protocol.rst}); everything on the wire
 * is big-endian.
 */
final class UsbIpProtocol {
    /** Protocol version in OP_* headers. */
    static final int VERSION = 0x0111;

    static final int OP_REQ_DEVLIST = 0x8005;
    static final int OP_REP_DEVLIST = 0x0005;
    static final int OP_REQ_IMPORT = 0x8003;
    static final int OP_REP_IMPORT = 0x0003;

    /** OP_* status: success. */
    static final int ST_OK = 0;
    /** OP_* status: request failed (no such device, or busy). */
    static final int ST_NA = 1;

    static final int CMD_SUBMIT = 1;
    static final int CMD_UNLINK = 2;
    static final int RET_SUBMIT = 3;
    static final int RET_UNLINK = 4;

    static final int DIR_OUT = 0;
    static final int DIR_IN = 1;

    /** Size of every URB-phase header. */
    static final int HEADER_SIZE = 48;
    /** Size of one iso packet descriptor. */
    static final int ISO_DESCRIPTOR_SIZE = 16;
    /** Size of the {@code usb_device} record in OP_REP_DEVLIST and OP_REP_IMPORT. */
    static final int USB_DEVICE_SIZE = 312;
    /** Size of the bus id field. */
    static final int BUSID_SIZE = 32;

    /** URB transfer flag: a short IN transfer is an error. */
    static final int URB_SHORT_NOT_OK = 0x0001;
    /** URB transfer flag: start the iso URB at the next free slot. */
    static final int URB_ISO_ASAP = 0x0002;

    /** {@code enum usb_device_speed} values. */
    static final int SPEED_LOW = 1;

    static final int SPEED_FULL = 2;
    static final int SPEED_HIGH = 3;
    static final int SPEED_SUPER = 5;
    static final int SPEED_SUPER_PLUS = 6;

    private UsbIpProtocol() {}
}
