package io.github.usbd4j.win32;

import io.github.usbd4j.usb.internal.ConstantNames;
import java.util.Map;

/**
 * The Win32 error codes that USBD and the WinUSB personality set (standard {@code winerror.h} values,
 * usb-iso-apis.md §1.7, §1.8, §1.10, §2.6; the device manager's, §D3 to §D6), and the per-thread last error that {@code GetLastError()}
 * reads. One last error per thread, shared by every Win32-style API of the library, as in Windows.
 *
 * <p>Every CE {@code USB_FUNCS} or WinUSB call that fails returns {@code null} or {@code false} and sets
 * the calling thread's last error; a call that succeeds does not clear it, as in Win32.
 */
public final class Win32 {
    private Win32() {}

    /** The operation completed successfully. */
    public static final int ERROR_SUCCESS = 0;
    /** Incorrect function. */
    public static final int ERROR_INVALID_FUNCTION = 1;
    /** The system cannot find the file specified (registry value not found). */
    public static final int ERROR_FILE_NOT_FOUND = 2;
    /** Access is denied. */
    public static final int ERROR_ACCESS_DENIED = 5;
    /** The handle is invalid: bad or closed device, pipe or transfer handle. */
    public static final int ERROR_INVALID_HANDLE = 6;
    /** Not enough memory resources. */
    public static final int ERROR_NOT_ENOUGH_MEMORY = 8;
    /** The access code is invalid: a read or write on a device handle opened without that access. */
    public static final int ERROR_INVALID_ACCESS = 12;
    /** Not enough memory resources are available to complete this operation. */
    public static final int ERROR_OUTOFMEMORY = 14;
    /** The device is not ready. */
    public static final int ERROR_NOT_READY = 21;
    /** A device attached to the system is not functioning. */
    public static final int ERROR_GEN_FAILURE = 31;
    /** The process cannot access the file because it is being used by another process. */
    public static final int ERROR_SHARING_VIOLATION = 32;
    /** The request is not supported. */
    public static final int ERROR_NOT_SUPPORTED = 50;
    /** The specified device does not exist: no device has this name. */
    public static final int ERROR_DEV_NOT_EXIST = 55;
    /** The parameter is incorrect. */
    public static final int ERROR_INVALID_PARAMETER = 87;
    /** The system cannot open the device or file specified. */
    public static final int ERROR_OPEN_FAILED = 110;
    /** The semaphore timeout period has expired. */
    public static final int ERROR_SEM_TIMEOUT = 121;
    /** The data area passed to a system call is too small. */
    public static final int ERROR_INSUFFICIENT_BUFFER = 122;
    /** The requested resource is in use: no bandwidth, or the endpoint is already open (§1.10). */
    public static final int ERROR_BUSY = 170;
    /** Cannot create a file when that file already exists. */
    public static final int ERROR_ALREADY_EXISTS = 183;
    /** No more data is available. */
    public static final int ERROR_NO_MORE_ITEMS = 259;
    /** The I/O operation has been aborted. */
    public static final int ERROR_OPERATION_ABORTED = 995;
    /** Overlapped I/O event is not in a signaled state. */
    public static final int ERROR_IO_INCOMPLETE = 996;
    /** Overlapped I/O operation is in progress. */
    public static final int ERROR_IO_PENDING = 997;
    /** Cannot complete this function: a start frame that cannot be scheduled (§1.8). */
    public static final int ERROR_CAN_NOT_COMPLETE = 1003;
    /** The device is not connected. */
    public static final int ERROR_DEVICE_NOT_CONNECTED = 1167;
    /** Element not found. */
    public static final int ERROR_NOT_FOUND = 1168;
    /** This operation returned because the timeout period expired. */
    public static final int ERROR_TIMEOUT = 1460;
    /** Handle is in an invalid state: the handle's device was deactivated. */
    public static final int ERROR_INVALID_HANDLE_STATE = 1609;
    /** The configuration data for this product is corrupt: a device key without the values it needs. */
    public static final int ERROR_BAD_CONFIGURATION = 1610;
    /** The supplied user buffer is not valid for the requested operation. */
    public static final int ERROR_INVALID_USER_BUFFER = 1784;

    /** The requested resource is in use: a device name that is taken. */
    public static final int ERROR_DEVICE_IN_USE = 2404;

    private static final Map<Integer, String> NAMES = ConstantNames.of(Win32.class, n -> n.startsWith("ERROR_"));

    private static final ThreadLocal<int[]> LAST_ERROR = ThreadLocal.withInitial(() -> new int[1]);

    /**
     * CE's {@code GetLastError()}: the last error set on this thread.
     *
     * @return the code, {@link #ERROR_SUCCESS} if none was ever set
     */
    public static int getLastError() {
        return LAST_ERROR.get()[0];
    }

    /**
     * CE's {@code SetLastError()}: sets this thread's last error.
     *
     * @param error the code
     */
    public static void setLastError(int error) {
        LAST_ERROR.get()[0] = error;
    }

    /**
     * The name of a Win32 error code, e.g. {@code "ERROR_CAN_NOT_COMPLETE"}; unknown codes as hex.
     *
     * @param error the code
     * @return its name
     */
    public static String errorName(int error) {
        return ConstantNames.name(NAMES, error);
    }
}
