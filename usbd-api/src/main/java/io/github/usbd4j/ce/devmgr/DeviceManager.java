package io.github.usbd4j.ce.devmgr;

import io.github.usbd4j.ce.ClientRegistryKey;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * CE's device manager as drivers and applications call it: the {@code coredll} functions that load and
 * unload stream drivers ({@code ActivateDeviceEx}, {@code DeactivateDevice}, {@code OpenDeviceKey}), the
 * registry they read, and the file functions that reach a loaded device by name ({@code CreateFile} on
 * {@code "LBK1:"}, {@code ReadFile}, {@code WriteFile}, {@code SetFilePointer}, {@code DeviceIoControl},
 * {@code CloseHandle}), and the event functions drivers wait with ({@code CreateEvent}, {@code SetEvent},
 * {@code ResetEvent}, {@code WaitForSingleObject}). The runtime's instance is {@code Usbd.deviceManager()}; hand it to the driver
 * and the application that call it, as CE code calls the global functions.
 *
 * <p>Types map as in {@code io.github.usbd4j.ce}: {@code DWORD} is {@code int}, {@code LPDWORD}
 * out-parameters are {@code int[]} with element 0 written, data buffers are {@link ByteBuffer}s whose
 * position..limit is the buffer (the position does not move), and the pointer parameters CE requires to be
 * {@code NULL} ({@code lpSecurityAttributes}, {@code hTemplateFile}, {@code lpOverlapped}) are
 * {@code Object}s that must be {@code null}. Every failing call returns CE's failure value and sets
 * {@link Win32#getLastError()}; a call that succeeds leaves the last error as it was. No call throws, for
 * any argument. All methods are thread-safe.
 *
 * <p>A registry path is a key below {@code HKEY_LOCAL_MACHINE}, e.g. {@code Drivers\USB\ClientDrivers\Lbk};
 * case does not matter. Below {@code Drivers\USB\ClientDrivers\} the key of a registered USB client driver
 * is the one {@code UsbFuncs.openClientRegistryKey} returns, so a driver writes its {@code Prefix} and
 * {@code Dll} there and activates from the path {@code GetClientRegistryPath} gives it.
 */
public interface DeviceManager {

    // ---- loading ([§D3](reference/ce-devmgr.html#d3), [§D6](reference/ce-devmgr.html#d6))
    // -----------------------------------------------------------------------

    /**
     * {@code ActivateDeviceEx}: loads the driver a device key describes and gives the device its name.
     * Reads {@code Dll} (required), {@code Prefix}, {@code Index} and {@code Flags} from {@code devKey};
     * creates the Active key ({@code Drivers\Active\NN}) with the {@code regEnts}, {@code Key},
     * {@code Name} and {@code Hnd}; instantiates the {@code Dll} class; calls {@code XXX_Init(activeKey,
     * param)}. A device with a three-character prefix {@code PFX} is named {@code PFXn:} with
     * {@code n} its {@code Index}, or the lowest free index from 1 (10 is named {@code PFX0:}; above that only
     * {@code $device\PFXn}).
     *
     * @param devKey {@code lpszDevKey}, the device key's registry path
     * @param regEnts {@code lpRegEnts}: values for the Active key, or {@code null} (then {@code cRegEnts}
     *     is ignored, as in CE)
     * @param cRegEnts {@code cRegEnts}: how many entries of {@code regEnts} to use
     * @param param {@code lpvParam}, passed to {@code XXX_Init} as its second argument
     * @return the device, or {@code null} with the last error: {@code ERROR_INVALID_PARAMETER} (no key path,
     *     a count outside the array), {@code ERROR_INVALID_ACCESS} (a {@code null} entry),
     *     {@code ERROR_BAD_CONFIGURATION} (no such key, or no {@code Dll}), {@code ERROR_FILE_NOT_FOUND} (no
     *     such class, or not a stream driver), {@code ERROR_INVALID_FUNCTION} (missing entry points),
     *     {@code ERROR_DEVICE_IN_USE} (the name is taken), {@code ERROR_OPEN_FAILED} ({@code XXX_Init}
     *     returned {@code null}), or {@link Win32#ERROR_SUCCESS} when {@code DEVFLAGS_NOLOAD} or
     *     {@code DEVFLAGS_UNLOAD} asked for no device
     */
    ActivationHandle activateDeviceEx(String devKey, RegIni[] regEnts, int cRegEnts, Object param);

    /**
     * {@code ActivateDevice}: {@link #activateDeviceEx} with the Active key value {@code ClientInfo} set to
     * {@code clientInfo} and {@code null} as {@code XXX_Init}'s bus context.
     *
     * @param devKey the device key's registry path
     * @param clientInfo stored as {@code ClientInfo} ({@code REG_DWORD})
     * @return the device, or {@code null} with the last error, as {@link #activateDeviceEx}
     */
    ActivationHandle activateDevice(String devKey, int clientInfo);

    /**
     * {@code DeactivateDevice}: unloads a device (<a href="{@docRoot}/../reference/ce-devmgr.html#d6">§D6</a>). From the moment it is called, the device's name no
     * longer opens and every call on its open handles fails with {@code ERROR_INVALID_HANDLE_STATE}. Then
     * {@code XXX_PreDeinit} runs (without it, {@code XXX_Deinit} runs at once), after which the name is free
     * for the next device; {@code XXX_Deinit} follows as soon as no thread is left in the driver, and the
     * Active key is deleted after it. With no thread in the driver that happens before this returns; otherwise
     * {@code XXX_Deinit} runs on the last thread to leave (which may be the caller's own, when a driver
     * deactivates its device from one of its entry points). Handles still open never reach the driver again.
     *
     * @param device {@code hDevice}
     * @return {@code false} with {@code ERROR_NOT_FOUND} for an unknown or already deactivated device, or
     *     {@code ERROR_ACCESS_DENIED} for a device loaded with {@code DEVFLAGS_NOUNLOAD}
     */
    boolean deactivateDevice(ActivationHandle device);

    /**
     * {@code OpenDeviceKey}: the device key of a loaded device, from the Active key path its
     * {@code XXX_Init} received.
     *
     * @param activeKey an Active key path, e.g. {@code "Drivers\Active\01"}
     * @return the key, or {@code null} with {@code ERROR_INVALID_PARAMETER} ({@code null}) or
     *     {@code ERROR_FILE_NOT_FOUND} (no such Active key, or its device key is gone)
     */
    ClientRegistryKey openDeviceKey(String activeKey);

    /**
     * The devices loaded now, in activation order: what CE's {@code FindFirstDevice} and
     * {@code GetDeviceInformationByDeviceHandle} report.
     *
     * @return a snapshot
     */
    List<DeviceInformation> activeDevices();

    // ---- registry (the part the loader reads) -----------------------------------------------------

    /**
     * {@code RegCreateKeyEx} below {@code HKEY_LOCAL_MACHINE}: opens a key, creating it if needed.
     *
     * @param subKey the key's path
     * @return the key, or {@code null} with {@code ERROR_INVALID_PARAMETER} for an empty or {@code null}
     *     path
     */
    ClientRegistryKey regCreateKeyEx(String subKey);

    /**
     * {@code RegOpenKeyEx} below {@code HKEY_LOCAL_MACHINE}: opens an existing key, e.g. an Active key to
     * read its {@code Name}.
     *
     * @param subKey the key's path
     * @return the key, or {@code null} with {@code ERROR_FILE_NOT_FOUND} (no such key) or
     *     {@code ERROR_INVALID_PARAMETER}
     */
    ClientRegistryKey regOpenKeyEx(String subKey);

    // ---- the application side ([§D5](reference/ce-devmgr.html#d5))
    // ---------------------------------------------------------------

    /**
     * {@code CreateFile} on a device name: {@code "LBK1:"} (legacy name, any case) or
     * {@code "\$device\LBK1"}. Calls {@code XXX_Open(deviceContext, desiredAccess, shareMode)}; the device
     * manager passes the access and share modes on and enforces only the access, in {@code ReadFile} and
     * {@code WriteFile}.
     *
     * @param fileName {@code lpFileName}
     * @param desiredAccess {@code GENERIC_READ}, {@code GENERIC_WRITE}, both, or 0 (for control calls only)
     * @param shareMode {@code FILE_SHARE_READ}, {@code FILE_SHARE_WRITE}, both or 0
     * @param securityAttributes must be {@code null}
     * @param creationDisposition {@link WinBase#OPEN_EXISTING} or {@link WinBase#OPEN_ALWAYS}
     * @param flagsAndAttributes not used for devices
     * @param templateFile must be {@code null}
     * @return the handle, or {@link WinBase#INVALID_HANDLE_VALUE} with the last error:
     *     {@code ERROR_INVALID_PARAMETER} (no name, another disposition, a security or template argument),
     *     {@code ERROR_FILE_NOT_FOUND} (not a device name: there is no file system), {@code ERROR_DEV_NOT_EXIST}
     *     (no such device, or it is being deactivated), or {@code XXX_Open}'s error
     */
    FileHandle createFile(
            String fileName,
            int desiredAccess,
            int shareMode,
            Object securityAttributes,
            int creationDisposition,
            int flagsAndAttributes,
            Object templateFile);

    /**
     * {@code ReadFile}: {@code XXX_Read} into {@code buffer}'s position..position+{@code numberOfBytesToRead}.
     *
     * @param file {@code hFile}
     * @param buffer {@code lpBuffer}, at least {@code numberOfBytesToRead} bytes remaining
     * @param numberOfBytesToRead {@code nNumberOfBytesToRead}
     * @param numberOfBytesRead {@code lpNumberOfBytesRead}: element 0 receives the count (0 on failure)
     * @param overlapped must be {@code null}: device handles here are synchronous
     * @return {@code false} with {@code ERROR_INVALID_HANDLE} (unknown or closed handle),
     *     {@code ERROR_INVALID_HANDLE_STATE} (its device was deactivated), {@code ERROR_INVALID_ACCESS} (not
     *     opened with {@code GENERIC_READ}), {@code ERROR_INVALID_PARAMETER} (a bad buffer or count),
     *     {@code ERROR_NOT_SUPPORTED} ({@code overlapped}), or the driver's error
     */
    boolean readFile(
            FileHandle file, ByteBuffer buffer, int numberOfBytesToRead, int[] numberOfBytesRead, Object overlapped);

    /**
     * {@code WriteFile}: {@code XXX_Write} from {@code buffer}'s position..position+{@code numberOfBytesToWrite}.
     *
     * @param file {@code hFile}
     * @param buffer {@code lpBuffer}, at least {@code numberOfBytesToWrite} bytes remaining
     * @param numberOfBytesToWrite {@code nNumberOfBytesToWrite}
     * @param numberOfBytesWritten {@code lpNumberOfBytesWritten}: element 0 receives the count (0 on failure)
     * @param overlapped must be {@code null}
     * @return {@code false} with the errors of {@link #readFile}, {@code GENERIC_WRITE} in place of
     *     {@code GENERIC_READ}
     */
    boolean writeFile(
            FileHandle file,
            ByteBuffer buffer,
            int numberOfBytesToWrite,
            int[] numberOfBytesWritten,
            Object overlapped);

    /**
     * {@code SetFilePointer}: {@code XXX_Seek(openContext, distanceToMove, moveMethod)}. As in CE's device
     * manager, the high part is not used and the move method is passed on unchecked.
     *
     * @param file {@code hFile}
     * @param distanceToMove {@code lDistanceToMove}
     * @param distanceToMoveHigh {@code lpDistanceToMoveHigh}, ignored; may be {@code null}
     * @param moveMethod {@code dwMoveMethod}
     * @return the new position, or {@link WinBase#INVALID_SET_FILE_POINTER} with the last error (the handle
     *     errors of {@link #readFile}, or the driver's)
     */
    int setFilePointer(FileHandle file, int distanceToMove, int[] distanceToMoveHigh, int moveMethod);

    /**
     * {@code DeviceIoControl}: {@code XXX_IOControl} with the code as given (<a href="{@docRoot}/../reference/ce-devmgr.html#d5">§D5</a>: CE checks neither its
     * access bits nor its method) and views of the two buffers.
     *
     * @param device {@code hDevice}, a handle from {@link #createFile}
     * @param ioControlCode {@code dwIoControlCode}
     * @param inBuffer {@code lpInBuffer}, at least {@code inBufferSize} bytes remaining; may be {@code null}
     *     when {@code inBufferSize} is 0
     * @param inBufferSize {@code nInBufferSize}
     * @param outBuffer {@code lpOutBuffer}, at least {@code outBufferSize} bytes remaining; may be
     *     {@code null} when {@code outBufferSize} is 0
     * @param outBufferSize {@code nOutBufferSize}
     * @param bytesReturned {@code lpBytesReturned}: passed to the driver as {@code pdwActualOut}; may be
     *     {@code null}
     * @param overlapped must be {@code null}
     * @return {@code false} with the handle errors of {@link #readFile}, {@code ERROR_INVALID_PARAMETER}
     *     for a bad buffer or size, or the driver's error
     */
    boolean deviceIoControl(
            FileHandle device,
            int ioControlCode,
            ByteBuffer inBuffer,
            int inBufferSize,
            ByteBuffer outBuffer,
            int outBufferSize,
            int[] bytesReturned,
            Object overlapped);

    /**
     * {@code CloseHandle}: {@code XXX_PreClose}, then {@code XXX_Close} once no thread uses the handle (at
     * once without {@code XXX_PreClose}). The handle is invalid from the call on. A handle whose device was
     * deactivated closes without calling the driver.
     *
     * @param object {@code hObject}
     * @return {@code false} with {@code ERROR_INVALID_HANDLE} for an unknown or already closed handle
     */
    boolean closeHandle(FileHandle object);

    // ---- events ------------------------------------------------------------------------------------

    /**
     * {@code CreateEvent}: an unnamed event, as a driver creates one to wait for a transfer's callback, or
     * for its {@code XXX_PreClose}, while it is inside an entry point.
     *
     * @param eventAttributes {@code lpEventAttributes}; must be {@code null}
     * @param manualReset {@code bManualReset}: {@code true} stays signalled until {@link #resetEvent};
     *     {@code false} is reset by the wait it ends
     * @param initialState {@code bInitialState}: signalled from the start
     * @param name {@code lpName}; must be {@code null} (named events are not supported)
     * @return the event, or {@code null} with {@code ERROR_INVALID_PARAMETER} (attributes) or
     *     {@code ERROR_NOT_SUPPORTED} (a name)
     */
    EventHandle createEvent(Object eventAttributes, boolean manualReset, boolean initialState, String name);

    /**
     * {@code SetEvent}: signals the event; it ends a waiting {@link #waitForSingleObject}.
     *
     * @param event {@code hEvent}
     * @return {@code false} with {@code ERROR_INVALID_HANDLE} for a handle not from {@link #createEvent}
     */
    boolean setEvent(EventHandle event);

    /**
     * {@code ResetEvent}: makes the event non-signalled.
     *
     * @param event {@code hEvent}
     * @return {@code false} with {@code ERROR_INVALID_HANDLE} for a handle not from {@link #createEvent}
     */
    boolean resetEvent(EventHandle event);

    /**
     * {@code WaitForSingleObject} on an event: returns when it is signalled (an auto-reset event is then reset)
     * or when {@code milliseconds} have passed. The time is bus time: on a virtual clock the wait runs the bus,
     * so the transfers whose callbacks set the event complete meanwhile, as synchronous transfers do.
     *
     * @param handle {@code hHandle}, an event
     * @param milliseconds {@code dwMilliseconds}, unsigned; {@link WinBase#INFINITE} for no limit
     * @return {@link WinBase#WAIT_OBJECT_0}, {@link WinBase#WAIT_TIMEOUT}, or {@link WinBase#WAIT_FAILED} with
     *     {@code ERROR_INVALID_HANDLE} (not an event of this device manager) or {@code ERROR_BUSY} (a
     *     thread that delivers transfer completions and cannot wait for them)
     */
    int waitForSingleObject(EventHandle handle, int milliseconds);
}
