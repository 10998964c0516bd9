package io.github.usbd4j.usb;

import io.github.usbd4j.usb.internal.ConstantNames;
import java.util.Map;

/**
 * {@code USBD_STATUS} values of {@code usb.h} (<a href="{@docRoot}/../reference/wdm.html#s3-6">§3.6</a>): per-packet
 * and per-URB outcomes of the WDM and WinUSB isochronous APIs. Bits 31:30 are the state: 00 success, 01 pending, 1x
 * error.
 */
public final class UsbdStatus {
    private UsbdStatus() {}

    /** Success. */
    public static final int USBD_STATUS_SUCCESS = 0x00000000;
    /** Pending. */
    public static final int USBD_STATUS_PENDING = 0x40000000;
    /** CRC error. */
    public static final int USBD_STATUS_CRC = 0xC0000001;
    /** Bit-stuffing error. */
    public static final int USBD_STATUS_BTSTUFF = 0xC0000002;
    /** Data toggle mismatch. */
    public static final int USBD_STATUS_DATA_TOGGLE_MISMATCH = 0xC0000003;
    /** STALL PID. */
    public static final int USBD_STATUS_STALL_PID = 0xC0000004;
    /** Device not responding. */
    public static final int USBD_STATUS_DEV_NOT_RESPONDING = 0xC0000005;
    /** PID check failure. */
    public static final int USBD_STATUS_PID_CHECK_FAILURE = 0xC0000006;
    /** Unexpected PID. */
    public static final int USBD_STATUS_UNEXPECTED_PID = 0xC0000007;
    /** Data overrun. */
    public static final int USBD_STATUS_DATA_OVERRUN = 0xC0000008;
    /** Data underrun. */
    public static final int USBD_STATUS_DATA_UNDERRUN = 0xC0000009;
    /** Reserved. */
    public static final int USBD_STATUS_RESERVED1 = 0xC000000A;
    /** Reserved. */
    public static final int USBD_STATUS_RESERVED2 = 0xC000000B;
    /** Buffer overrun. */
    public static final int USBD_STATUS_BUFFER_OVERRUN = 0xC000000C;
    /** Buffer underrun. */
    public static final int USBD_STATUS_BUFFER_UNDERRUN = 0xC000000D;
    /** Not accessed. */
    public static final int USBD_STATUS_NOT_ACCESSED = 0xC000000F;
    /** FIFO error. */
    public static final int USBD_STATUS_FIFO = 0xC0000010;
    /** Transaction error. */
    public static final int USBD_STATUS_XACT_ERROR = 0xC0000011;
    /** Babble detected. */
    public static final int USBD_STATUS_BABBLE_DETECTED = 0xC0000012;
    /** Data buffer error. */
    public static final int USBD_STATUS_DATA_BUFFER_ERROR = 0xC0000013;
    /** Endpoint halted. */
    public static final int USBD_STATUS_ENDPOINT_HALTED = 0xC0000030;
    /** Invalid URB function. */
    public static final int USBD_STATUS_INVALID_URB_FUNCTION = 0x80000200;
    /** The URB is malformed. */
    public static final int USBD_STATUS_INVALID_PARAMETER = 0x80000300;
    /** Busy. */
    public static final int USBD_STATUS_ERROR_BUSY = 0x80000400;
    /** Invalid pipe handle. */
    public static final int USBD_STATUS_INVALID_PIPE_HANDLE = 0x80000600;
    /** No bandwidth. */
    public static final int USBD_STATUS_NO_BANDWIDTH = 0x80000700;
    /** Internal host controller error. */
    public static final int USBD_STATUS_INTERNAL_HC_ERROR = 0x80000800;
    /** Short transfer. */
    public static final int USBD_STATUS_ERROR_SHORT_TRANSFER = 0x80000900;
    /**
     * The start frame is outside ±1024 frames of the current frame
     * (<a href="{@docRoot}/../reference/wdm.html#s3-5">§3.5</a>).
     */
    public static final int USBD_STATUS_BAD_START_FRAME = 0xC0000A00;
    /** Every packet of the isochronous request failed. */
    public static final int USBD_STATUS_ISOCH_REQUEST_FAILED = 0xC0000B00;
    /** Frame control owned. */
    public static final int USBD_STATUS_FRAME_CONTROL_OWNED = 0xC0000C00;
    /** Frame control not owned. */
    public static final int USBD_STATUS_FRAME_CONTROL_NOT_OWNED = 0xC0000D00;
    /** Not supported. */
    public static final int USBD_STATUS_NOT_SUPPORTED = 0xC0000E00;
    /** Invalid configuration descriptor ({@code usb.h} spells it INAVLID). */
    public static final int USBD_STATUS_INVALID_CONFIGURATION_DESCRIPTOR = 0xC0000F00;
    /** Insufficient resources. */
    public static final int USBD_STATUS_INSUFFICIENT_RESOURCES = 0xC0001000;
    /** Set configuration failed. */
    public static final int USBD_STATUS_SET_CONFIG_FAILED = 0xC0002000;
    /** Buffer too small. */
    public static final int USBD_STATUS_BUFFER_TOO_SMALL = 0xC0003000;
    /** Interface not found. */
    public static final int USBD_STATUS_INTERFACE_NOT_FOUND = 0xC0004000;
    /** Invalid pipe flags ({@code usb.h} spells it INAVLID). */
    public static final int USBD_STATUS_INVALID_PIPE_FLAGS = 0xC0005000;
    /** Timeout. */
    public static final int USBD_STATUS_TIMEOUT = 0xC0006000;
    /** The device is gone. */
    public static final int USBD_STATUS_DEVICE_GONE = 0xC0007000;
    /** Status not mapped. */
    public static final int USBD_STATUS_STATUS_NOT_MAPPED = 0xC0008000;
    /** Hub internal error. */
    public static final int USBD_STATUS_HUB_INTERNAL_ERROR = 0xC0009000;
    /** The URB completed because of an abort. */
    public static final int USBD_STATUS_CANCELED = 0xC0010000;
    /** Packet: the host controller never processed its descriptor. */
    public static final int USBD_STATUS_ISO_NOT_ACCESSED_BY_HW = 0xC0020000;
    /** Packet: a controller-specific TD error. */
    public static final int USBD_STATUS_ISO_TD_ERROR = 0xC0030000;
    /** Packet: the client was on time but the stack was late. */
    public static final int USBD_STATUS_ISO_NA_LATE_USBPORT = 0xC0040000;
    /** Packet: the client submitted it too late. */
    public static final int USBD_STATUS_ISO_NOT_ACCESSED_LATE = 0xC0050000;

    private static final Map<Integer, String> NAMES =
            ConstantNames.of(UsbdStatus.class, n -> n.startsWith("USBD_STATUS_"));

    /** {@code USBD_SUCCESS(s)}: the status is not an error. */
    public static boolean isSuccess(int status) {
        return status >= 0;
    }

    /** {@code USBD_PENDING(s)}: bits 31:30 are 01. */
    public static boolean isPending(int status) {
        return (status >>> 30) == 1;
    }

    /** {@code USBD_ERROR(s)}: the status is an error. */
    public static boolean isError(int status) {
        return status < 0;
    }

    /**
     * The name of a status, e.g. {@code "USBD_STATUS_BAD_START_FRAME"}; unknown values as hex.
     *
     * @param status the value
     * @return its name
     */
    public static String name(int status) {
        return ConstantNames.name(NAMES, status);
    }
}
