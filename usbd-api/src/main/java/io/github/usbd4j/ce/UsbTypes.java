package io.github.usbd4j.ce;

import io.github.usbd4j.usb.internal.ConstantNames;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Constants of CE's {@code usbtypes.h} with CE's exact values: transfer flags
 * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-2">§1.2</a>), {@code USB_ERROR} codes
 * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-3">§1.3</a>), {@code USB_NO_INFO}, the device notification codes
 * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-5">§1.5</a>). {@link #errorName(int)} and {@link #flagNames(int)}
 * turn values back into CE names for messages.
 */
public final class UsbTypes {
    private UsbTypes() {}

    // ---- [§1.2](reference/ce-usbd.html#s1-2) transfer flags (dwFlags) -----------------------------------------------

    /** Host to device: the absence of {@link #USB_IN_TRANSFER}. */
    public static final int USB_OUT_TRANSFER = 0x00000000;
    /** Device to host; the same bit as the direction bit of {@code bEndpointAddress}. */
    public static final int USB_IN_TRANSFER = 0x00000080;
    /**
     * Do not block; without a callback the transfer completes silently and must be polled
     * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-7">§1.7</a>).
     */
    public static final int USB_NO_WAIT = 0x00000100;
    /** A transfer shorter than the buffer is not an error. */
    public static final int USB_SHORT_TRANSFER_OK = 0x00000200;
    /**
     * Isochronous only: ignore {@code dwStartingFrame} and start as soon as possible
     * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-8">§1.8</a>).
     */
    public static final int USB_START_ISOCH_ASAP = 0x00000400;
    /**
     * Isochronous IN only: pack received frames back to back in the buffer
     * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-8">§1.8</a>).
     */
    public static final int USB_COMPRESS_ISOCH = 0x00000800;
    /** Set/ClearFeature and GetStatus: the recipient is the device. */
    public static final int USB_SEND_TO_DEVICE = 0x00001000;
    /** Set/ClearFeature and GetStatus: the recipient is an interface. */
    public static final int USB_SEND_TO_INTERFACE = 0x00002000;
    /** Set/ClearFeature and GetStatus: the recipient is an endpoint (the default). */
    public static final int USB_SEND_TO_ENDPOINT = 0x00004000;
    /** Do not block waiting for memory allocations. */
    public static final int USB_DONT_BLOCK_FOR_MEM = 0x00008000;

    // ---- [§1.3](reference/ce-usbd.html#s1-3) USB_ERROR --------------------------------------------------------------

    /** Success. */
    public static final int USB_NO_ERROR = 0x00000000;
    /** CRC error (OHCI condition code 1). */
    public static final int USB_CRC_ERROR = 0x00000001;
    /** Bit-stuffing error. */
    public static final int USB_BIT_STUFFING_ERROR = 0x00000002;
    /** Data toggle mismatch. */
    public static final int USB_DATA_TOGGLE_MISMATCH_ERROR = 0x00000003;
    /** The endpoint returned STALL. */
    public static final int USB_STALL_ERROR = 0x00000004;
    /** No response from the device. */
    public static final int USB_DEVICE_NOT_RESPONDING_ERROR = 0x00000005;
    /** PID check failure. */
    public static final int USB_PID_CHECK_FAILURE_ERROR = 0x00000006;
    /** Unexpected PID. */
    public static final int USB_UNEXPECTED_PID_ERROR = 0x00000007;
    /** The device sent more data than the packet or buffer allows (babble). */
    public static final int USB_DATA_OVERRUN_ERROR = 0x00000008;
    /** The device sent less data than requested (short packet). */
    public static final int USB_DATA_UNDERRUN_ERROR = 0x00000009;
    /** The host could not store incoming data in time. */
    public static final int USB_BUFFER_OVERRUN_ERROR = 0x0000000C;
    /** The host could not supply outgoing data in time. */
    public static final int USB_BUFFER_UNDERRUN_ERROR = 0x0000000D;
    /** The host controller never processed the frame or TD. */
    public static final int USB_NOT_ACCESSED_ERROR = 0x0000000E;
    /** The alternative not-accessed code; HCDs map it to {@link #USB_NOT_ACCESSED_ERROR} before reporting. */
    public static final int USB_NOT_ACCESSED_ALT = 0x0000000F;
    /** Generic isochronous error. */
    public static final int USB_ISOCH_ERROR = 0x00000100;
    /** The transfer was aborted or closed before it completed. */
    public static final int USB_CANCELED_ERROR = 0x00000101;
    /**
     * Initial per-frame value; frames never reached keep it
     * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-8">§1.8</a>).
     */
    public static final int USB_NOT_COMPLETE_ERROR = 0x00000103;
    /** The host hit an exception touching the client's buffer or callback. */
    public static final int USB_CLIENT_BUFFER_ERROR = 0x00000104;

    // ---- other usbtypes.h / usbdi.h constants ------------------------------------------------

    /** Wildcard in {@link UsbDriverSettings}: {@code 0xFFFFFFFF}. */
    public static final int USB_NO_INFO = 0xFFFFFFFF;
    /** {@code MAX_PATH + 1}. */
    public static final int USB_MAX_LOAD_STRING = 261;
    /** Device notification code: the device is gone (<a href="{@docRoot}/../reference/ce-usbd.html#s1-5">§1.5</a>). */
    public static final int USB_CLOSE_DEVICE = 1;
    /**
     * Device notification code of CE 6 and later: the device was suspended. CE documents the name but
     * its value was not found (<a href="{@docRoot}/../reference/open-questions.html#s6-2">§6 item 2</a>); usbd4j uses
     * 2, the value after {@link #USB_CLOSE_DEVICE}.
     */
    public static final int USB_SUSPENDED_DEVICE = 2;
    /**
     * Device notification code of CE 6 and later: the device was resumed. Value chosen as for
     * {@link #USB_SUSPENDED_DEVICE}.
     */
    public static final int USB_RESUMED_DEVICE = 3;

    private static final Map<Integer, String> ERROR_NAMES =
            ConstantNames.of(UsbTypes.class, n -> n.endsWith("_ERROR") || n.equals("USB_NOT_ACCESSED_ALT"));

    private static final String[] FLAG_NAMES = {
        "USB_IN_TRANSFER",
        "USB_NO_WAIT",
        "USB_SHORT_TRANSFER_OK",
        "USB_START_ISOCH_ASAP",
        "USB_COMPRESS_ISOCH",
        "USB_SEND_TO_DEVICE",
        "USB_SEND_TO_INTERFACE",
        "USB_SEND_TO_ENDPOINT",
        "USB_DONT_BLOCK_FOR_MEM"
    };

    private static final int[] FLAG_VALUES = {
        USB_IN_TRANSFER,
        USB_NO_WAIT,
        USB_SHORT_TRANSFER_OK,
        USB_START_ISOCH_ASAP,
        USB_COMPRESS_ISOCH,
        USB_SEND_TO_DEVICE,
        USB_SEND_TO_INTERFACE,
        USB_SEND_TO_ENDPOINT,
        USB_DONT_BLOCK_FOR_MEM
    };

    /** Every defined flag bit ORed together; any other bit in {@code dwFlags} is unknown to CE. */
    public static final int USB_ALL_FLAGS = 0x0000FF80;

    /**
     * The CE name of a {@code USB_ERROR} code, e.g. {@code "USB_CANCELED_ERROR"}; unknown codes as hex.
     *
     * @param usbError the code
     * @return its name
     */
    public static String errorName(int usbError) {
        return ConstantNames.name(ERROR_NAMES, usbError);
    }

    /**
     * The CE names of the bits set in {@code dwFlags}, e.g. {@code "USB_IN_TRANSFER|USB_START_ISOCH_ASAP"};
     * {@code "USB_OUT_TRANSFER"} for 0; unknown bits as hex.
     *
     * @param flags the flags
     * @return the names joined by {@code |}
     */
    public static String flagNames(int flags) {
        if (flags == 0) {
            return "USB_OUT_TRANSFER";
        }
        StringJoiner j = new StringJoiner("|");
        int rest = flags;
        for (int i = 0; i < FLAG_VALUES.length; i++) {
            if ((flags & FLAG_VALUES[i]) != 0) {
                j.add(FLAG_NAMES[i]);
                rest &= ~FLAG_VALUES[i];
            }
        }
        if (rest != 0) {
            j.add("0x" + Integer.toHexString(rest).toUpperCase(java.util.Locale.ROOT));
        }
        return j.toString();
    }
}
