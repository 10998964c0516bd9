package io.github.usbd4j.ce.devmgr;

/**
 * I/O control codes as {@code winioctl.h} builds them: {@code CTL_CODE(DeviceType, Function, Method,
 * Access)} is {@code DeviceType << 16 | Access << 14 | Function << 2 | Method} (§D5).
 *
 * <p>CE's device manager passes the code to {@code XXX_IOControl} unchanged: it neither checks the access
 * bits against the handle's access nor copies buffers by method, so a driver that wants
 * {@link #FILE_WRITE_ACCESS} to mean something checks it itself ({@link #accessFromCtlCode}).
 */
public final class WinIoCtl {
    private WinIoCtl() {}

    /** {@code FILE_DEVICE_UNKNOWN}, the device type most stream drivers use for their own codes. */
    public static final int FILE_DEVICE_UNKNOWN = 0x00000022;

    /** Device types from here up to 0xFFFF are for OEMs and hardware vendors. */
    public static final int FIRST_VENDOR_DEVICE_TYPE = 0x8000;

    /** Function codes from here up to 0xFFF are for vendors (codes below are Microsoft's). */
    public static final int FIRST_VENDOR_FUNCTION = 0x800;

    /** {@code METHOD_BUFFERED}. */
    public static final int METHOD_BUFFERED = 0;
    /** {@code METHOD_IN_DIRECT}. */
    public static final int METHOD_IN_DIRECT = 1;
    /** {@code METHOD_OUT_DIRECT}. */
    public static final int METHOD_OUT_DIRECT = 2;
    /** {@code METHOD_NEITHER}. */
    public static final int METHOD_NEITHER = 3;

    /** {@code FILE_ANY_ACCESS}. */
    public static final int FILE_ANY_ACCESS = 0;
    /** {@code FILE_READ_ACCESS}. */
    public static final int FILE_READ_ACCESS = 1;
    /** {@code FILE_WRITE_ACCESS}. */
    public static final int FILE_WRITE_ACCESS = 2;

    /**
     * {@code CTL_CODE}.
     *
     * @param deviceType 0..0xFFFF
     * @param function 0..0xFFF
     * @param method {@code METHOD_*}, 0..3
     * @param access {@code FILE_*_ACCESS}, 0..3
     * @return the control code
     * @throws IllegalArgumentException if a field does not fit its bits
     */
    public static int ctlCode(int deviceType, int function, int method, int access) {
        check("deviceType", deviceType, 0xFFFF);
        check("function", function, 0xFFF);
        check("method", method, 3);
        check("access", access, 3);
        return deviceType << 16 | access << 14 | function << 2 | method;
    }

    private static void check(String name, int value, int max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException("CTL_CODE " + name + " must be 0.." + max + ", was " + value);
        }
    }

    /**
     * {@code DEVICE_TYPE_FROM_CTL_CODE}.
     *
     * @param code a control code
     * @return bits 31..16
     */
    public static int deviceTypeFromCtlCode(int code) {
        return code >>> 16;
    }

    /**
     * The function field, bits 13..2.
     *
     * @param code a control code
     * @return 0..0xFFF
     */
    public static int functionFromCtlCode(int code) {
        return (code >>> 2) & 0xFFF;
    }

    /**
     * {@code METHOD_FROM_CTL_CODE}.
     *
     * @param code a control code
     * @return {@code METHOD_*}
     */
    public static int methodFromCtlCode(int code) {
        return code & 3;
    }

    /**
     * The required-access field, bits 15..14.
     *
     * @param code a control code
     * @return {@code FILE_*_ACCESS}
     */
    public static int accessFromCtlCode(int code) {
        return (code >>> 14) & 3;
    }
}
