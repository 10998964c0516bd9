package io.github.usbd4j.ce.devmgr;

import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;

/**
 * A stream interface driver: the {@code XXX_} entry points of a CE stream driver DLL, which the device
 * manager calls (§D4). {@code XXX_Init} returns the device context that every device-level entry point
 * receives; {@code XXX_Open} returns the open context that every handle-level entry point receives. Both
 * are typed here: {@code D} and {@code O}, and {@code null} where CE returns 0.
 *
 * <p><b>Which entry points exist.</b> As CE looks up the entry points a DLL exports, the device manager
 * looks at which methods the class overrides: {@link #init} and {@link #deinit} are required; a named device
 * (one with a {@code Prefix}) also needs {@link #open}, {@link #close} and at least one of {@link #read},
 * {@link #write}, {@link #seek}, {@link #ioControl}; a driver that has {@link #preClose} must have
 * {@link #preDeinit}. Otherwise {@code ActivateDeviceEx} fails with {@code ERROR_INVALID_FUNCTION}. An
 * I/O entry point a driver lacks answers {@link Win32#ERROR_NOT_SUPPORTED}, as CE's placeholders do; the
 * defaults below are those placeholders.
 *
 * <p><b>When they run</b> (§D6, §D7). The device manager does not serialize calls: reads, writes and
 * control calls of several threads, on one handle or several, run in the driver at once. {@code XXX_Deinit}
 * runs exactly once, and never while another entry point of the device runs when the driver has
 * {@link #preDeinit}: {@code DeactivateDevice} calls {@code XXX_PreDeinit}, which must wake every thread
 * blocked in the driver, and {@code XXX_Deinit} follows when the last of them has returned. Without
 * {@code XXX_PreDeinit}, {@code XXX_Deinit} runs at once, even with threads inside, and must wake them
 * itself. Likewise {@code CloseHandle} calls {@code XXX_PreClose} and, once no thread uses the handle,
 * {@code XXX_Close}; without {@code XXX_PreClose}, {@code XXX_Close} runs at once. Handles still open
 * when the device is deactivated never reach the driver again: neither {@code XXX_PreClose} nor
 * {@code XXX_Close} is called for them, so {@code XXX_Deinit} releases what their open contexts hold.
 *
 * <p><b>Errors.</b> A failing entry point returns its failure value and sets {@link Win32#setLastError};
 * the application sees that error. An exception thrown from an entry point fails the application's call
 * with {@code ERROR_INVALID_PARAMETER}, as CE's exception handlers around each entry point do.
 *
 * <p><b>Loading.</b> The class named by the device key's {@code Dll} value is instantiated through a public
 * constructor that takes a {@link DeviceManager} (for {@code OpenDeviceKey} and the registry) or a public
 * no-argument one, once per device manager while any device uses it, like a DLL that CE loads once for all
 * the devices it drives.
 *
 * @param <D> the device context, {@code XXX_Init}'s return value
 * @param <O> the open context, {@code XXX_Open}'s return value
 */
public interface StreamInterfaceDriver<D, O> {

    /**
     * {@code XXX_Init}: a device is being activated.
     *
     * @param context the path of the device's Active key, e.g. {@code "Drivers\Active\01"}; open the device
     *     key with {@link DeviceManager#openDeviceKey}
     * @param busContext {@code ActivateDeviceEx}'s {@code lpvParam}: for a USB client driver, typically its
     *     per-device context
     * @return the device context, or {@code null} to refuse (ActivateDeviceEx then fails)
     */
    D init(String context, Object busContext);

    /**
     * {@code XXX_PreDeinit} (optional): the device is being deactivated; mark it invalid and wake every
     * thread blocked in the driver. {@code XXX_Deinit} follows once they have all returned.
     *
     * @param deviceContext the device
     * @return {@code true} on success (the device manager ignores it, as CE does)
     */
    default boolean preDeinit(D deviceContext) {
        return true;
    }

    /**
     * {@code XXX_Deinit}: release the device; called once per successful {@code XXX_Init}.
     *
     * @param deviceContext the device
     * @return {@code true} on success (ignored, as in CE)
     */
    boolean deinit(D deviceContext);

    /**
     * {@code XXX_Open}: an application's {@code CreateFile}.
     *
     * @param deviceContext the device
     * @param accessCode {@code CreateFile}'s {@code dwDesiredAccess}, e.g. {@code GENERIC_READ | GENERIC_WRITE}
     * @param shareMode {@code CreateFile}'s {@code dwShareMode}; the device manager does not enforce it
     * @return the open context, or {@code null} with the last error set ({@code CreateFile} then fails;
     *     with {@code ERROR_OPEN_FAILED} when the driver set none)
     */
    default O open(D deviceContext, int accessCode, int shareMode) {
        Win32.setLastError(Win32.ERROR_NOT_SUPPORTED);
        return null;
    }

    /**
     * {@code XXX_PreClose} (optional): the handle is being closed; mark it invalid and wake the threads
     * blocked on it. {@code XXX_Close} follows once none uses it.
     *
     * @param openContext the handle's open context
     * @return {@code true} on success (ignored)
     */
    default boolean preClose(O openContext) {
        return true;
    }

    /**
     * {@code XXX_Close}: release an open context.
     *
     * @param openContext the handle's open context
     * @return {@code true} on success
     */
    default boolean close(O openContext) {
        Win32.setLastError(Win32.ERROR_NOT_SUPPORTED);
        return false;
    }

    /**
     * {@code XXX_Read}: an application's {@code ReadFile}.
     *
     * @param openContext the handle's open context
     * @param buffer {@code pBuffer}: exactly {@code count} bytes, position 0 to limit {@code count}, a view
     *     of the application's buffer; fill it from index 0
     * @param count {@code Count}
     * @return the bytes read (0..count), or -1 with the last error set
     */
    default int read(O openContext, ByteBuffer buffer, int count) {
        Win32.setLastError(Win32.ERROR_NOT_SUPPORTED);
        return -1;
    }

    /**
     * {@code XXX_Write}: an application's {@code WriteFile}.
     *
     * @param openContext the handle's open context
     * @param buffer {@code pBuffer}: exactly {@code numberOfBytes} bytes, position 0 to limit
     *     {@code numberOfBytes}, read-only
     * @param numberOfBytes {@code NumberOfBytes}
     * @return the bytes written (0..numberOfBytes), or -1 with the last error set
     */
    default int write(O openContext, ByteBuffer buffer, int numberOfBytes) {
        Win32.setLastError(Win32.ERROR_NOT_SUPPORTED);
        return -1;
    }

    /**
     * {@code XXX_Seek}: an application's {@code SetFilePointer}.
     *
     * @param openContext the handle's open context
     * @param amount {@code Amount}, signed
     * @param type {@code Type}: {@link WinBase#FILE_BEGIN}, {@code FILE_CURRENT} or {@code FILE_END},
     *     passed through unchecked
     * @return the new position, or -1 with the last error set
     */
    default int seek(O openContext, int amount, int type) {
        Win32.setLastError(Win32.ERROR_NOT_SUPPORTED);
        return -1;
    }

    /**
     * {@code XXX_IOControl}: an application's {@code DeviceIoControl}.
     *
     * @param openContext the handle's open context
     * @param code {@code dwCode}, as the application passed it ({@link WinIoCtl#ctlCode})
     * @param bufIn {@code pBufIn}: exactly {@code lenIn} bytes from position 0, read-only; {@code null} when
     *     the application passed none
     * @param lenIn {@code dwLenIn}
     * @param bufOut {@code pBufOut}: exactly {@code lenOut} bytes from position 0, for absolute puts;
     *     {@code null} when the application passed none
     * @param lenOut {@code dwLenOut}
     * @param actualOut {@code pdwActualOut}: set element 0 to the bytes written to {@code bufOut}; may be
     *     {@code null}, as in CE
     * @return {@code true} on success, else {@code false} with the last error set
     */
    default boolean ioControl(
            O openContext, int code, ByteBuffer bufIn, int lenIn, ByteBuffer bufOut, int lenOut, int[] actualOut) {
        Win32.setLastError(Win32.ERROR_NOT_SUPPORTED);
        return false;
    }

    /**
     * {@code XXX_PowerDown}: CE calls it when the system suspends. usbd4j never suspends the system, so it
     * is not called; it is here so that a ported driver keeps its entry point.
     *
     * @param deviceContext the device
     */
    default void powerDown(D deviceContext) {}

    /**
     * {@code XXX_PowerUp}: CE calls it when the system resumes; not called by usbd4j, see
     * {@link #powerDown}.
     *
     * @param deviceContext the device
     */
    default void powerUp(D deviceContext) {}
}
