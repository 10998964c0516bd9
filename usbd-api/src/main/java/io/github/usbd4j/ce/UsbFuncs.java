package io.github.usbd4j.ce;

import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.usb.UsbStringDescriptor;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;

/**
 * The USBD function table a client driver calls through: CE's {@code USB_FUNCS} ({@code usbdi.h},
 * usb-iso-apis.md §1.6), one method per member, in CE's order, named after the CE function.
 *
 * <p>Types map as in CE: handles are {@link UsbHandle}, {@link UsbPipe} and {@link UsbTransfer}, and
 * {@code null} where CE returns {@code NULL}; {@code DWORD}/{@code WORD}/{@code UCHAR} parameters are
 * {@code int}; {@code LPDWORD}-style out-parameters are {@code int[]} or {@code boolean[]} with element 0
 * written; {@code LPVOID} data buffers are {@link ByteBuffer}s whose position..limit is the buffer (direct
 * buffers are used in place, heap buffers are bounce-copied); {@code uBufferPhysicalAddress} must be 0.
 *
 * <p>Errors are CE's: a failing call returns {@code null} or {@code false} and sets
 * {@link Win32#getLastError()}; it never throws for bad arguments, and a bad argument never reaches the
 * bus. Transfers follow §1.7: with a callback they are asynchronous; without one and without
 * {@link UsbTypes#USB_NO_WAIT} the call blocks until the transfer completes (or the synchronous guard,
 * 4000 ms by default, expires: then the transfer is freed and {@code null} returned with
 * {@link Win32#ERROR_TIMEOUT}); without a callback but with {@code USB_NO_WAIT} it returns at once and
 * the transfer must be polled. Every returned transfer must be closed with {@link #closeTransfer}.
 */
public interface UsbFuncs {

    /** {@code USB_FUNCS.dwCount} on 32-bit CE with all 42 members (§1.6). */
    int DW_COUNT = 4 + 42 * 4;

    /**
     * {@code GetUSBDVersion}: the USBDI version, 1.3 (§1.6).
     *
     * @param majorVersion receives the major version in element 0; may be {@code null}
     * @param minorVersion receives the minor version in element 0; may be {@code null}
     */
    @CeFunction(ordinal = 1, member = "lpGetUSBDVersion")
    void getUSBDVersion(int[] majorVersion, int[] minorVersion);

    /**
     * {@code OpenClientRegistryKey} (member {@code lpOpenClientRegistyKey}, CE's spelling): the driver's
     * own registry key.
     *
     * @param uniqueDriverId the driver ID given to {@code USBDeviceAttach}
     * @return the key, or {@code null} with {@link Win32#ERROR_INVALID_PARAMETER} for an unknown ID
     */
    @CeFunction(ordinal = 2, member = "lpOpenClientRegistyKey")
    ClientRegistryKey openClientRegistryKey(String uniqueDriverId);

    /**
     * {@code RegisterNotificationRoutine}: receive {@code USB_CLOSE_DEVICE} (and suspend/resume) for the
     * device (§1.5).
     *
     * @param hDevice the device
     * @param notifyRoutine the routine
     * @param notifyParameter passed to the routine
     * @return {@code false} with {@link Win32#ERROR_INVALID_HANDLE} or {@link Win32#ERROR_INVALID_PARAMETER}
     */
    @CeFunction(ordinal = 3, member = "lpRegisterNotificationRoutine")
    boolean registerNotificationRoutine(UsbHandle hDevice, DeviceNotifyRoutine notifyRoutine, Object notifyParameter);

    /**
     * {@code UnRegisterNotificationRoutine}: removes a routine registered with the same routine and
     * parameter.
     *
     * @param hDevice the device
     * @param notifyRoutine the routine
     * @param notifyParameter the parameter it was registered with
     * @return {@code false} if it was not registered ({@link Win32#ERROR_NOT_FOUND}) or the handle is bad
     */
    @CeFunction(ordinal = 4, member = "lpUnRegisterNotificationRoutine")
    boolean unRegisterNotificationRoutine(UsbHandle hDevice, DeviceNotifyRoutine notifyRoutine, Object notifyParameter);

    /**
     * {@code LoadGenericInterfaceDriver}: asks USBD to offer an interface that this driver does not want
     * to the other registered drivers (§1.5).
     *
     * @param hDevice the device
     * @param usbInterface the interface
     * @return {@code true} if another driver accepted it
     */
    @CeFunction(ordinal = 5, member = "lpLoadGenericInterfaceDriver")
    boolean loadGenericInterfaceDriver(UsbHandle hDevice, UsbInterface usbInterface);

    /**
     * {@code TranslateStringDesc}: copies a string descriptor's text into a caller buffer, NUL-terminated.
     *
     * @param stringDescriptor the descriptor
     * @param string receives the text and a terminating {@code '\0'}
     * @param cchString capacity of {@code string} in characters
     * @return {@code false} with {@link Win32#ERROR_INSUFFICIENT_BUFFER} when it does not fit, or
     *     {@link Win32#ERROR_INVALID_PARAMETER} for a {@code null} argument or a non-string descriptor
     */
    @CeFunction(ordinal = 6, member = "lpTranslateStringDesc")
    boolean translateStringDesc(UsbStringDescriptor stringDescriptor, char[] string, int cchString);

    /**
     * {@code FindInterface}: the alternate setting with these numbers in the active configuration (§1.4).
     *
     * @param device the device information from {@link #getDeviceInfo}
     * @param bInterfaceNumber interface number
     * @param bAlternateSetting alternate setting
     * @return the interface, or {@code null} (last error {@link Win32#ERROR_NOT_FOUND})
     */
    @CeFunction(ordinal = 7, member = "lpFindInterface")
    UsbInterface findInterface(UsbDevice device, int bInterfaceNumber, int bAlternateSetting);

    /**
     * {@code GetFrameNumber}: the host controller's 32-bit frame counter in 1 ms units (§1.9). Exact on
     * the simulator; derived from the host's monotonic clock where the platform exposes no bus frame.
     *
     * @param hDevice the device
     * @param frameNumber receives the frame number in element 0
     * @return {@code false} with {@link Win32#ERROR_INVALID_HANDLE} for a bad handle
     */
    @CeFunction(ordinal = 8, member = "lpGetFrameNumber")
    boolean getFrameNumber(UsbHandle hDevice, int[] frameNumber);

    /**
     * {@code GetFrameLength}: the SOF period in 12 MHz bit times, 12000 = 1 ms (§1.9).
     *
     * @param hDevice the device
     * @param frameLength receives the length in element 0
     * @return {@code false} for a bad handle
     */
    @CeFunction(ordinal = 9, member = "lpGetFrameLength")
    boolean getFrameLength(UsbHandle hDevice, int[] frameLength);

    /**
     * {@code TakeFrameLengthControl}: exclusive control of the frame length, per host controller (§1.9).
     *
     * @param hDevice the device
     * @return {@code false} with {@link Win32#ERROR_BUSY} when another device owns it
     */
    @CeFunction(ordinal = 10, member = "lpTakeFrameLengthControl")
    boolean takeFrameLengthControl(UsbHandle hDevice);

    /**
     * {@code ReleaseFrameLengthControl}: gives up frame-length control; only the owner may (§1.9).
     *
     * @param hDevice the device
     * @return {@code false} with {@link Win32#ERROR_ACCESS_DENIED} when this device is not the owner
     */
    @CeFunction(ordinal = 11, member = "lpReleaseFrameLengthControl")
    boolean releaseFrameLengthControl(UsbHandle hDevice);

    /**
     * {@code SetFrameLength}: moves the SOF period gradually to a new length; only the owner may (§1.9).
     *
     * @param hDevice the device
     * @param event CE's {@code hEvent}: run once the target is reached; may be {@code null}
     * @param frameLength target in 12 MHz bit times (USB allows 11994..12005)
     * @return {@code false} with {@link Win32#ERROR_ACCESS_DENIED} when not the owner, or
     *     {@link Win32#ERROR_INVALID_PARAMETER} for a length out of range
     */
    @CeFunction(ordinal = 12, member = "lpSetFrameLength")
    boolean setFrameLength(UsbHandle hDevice, Runnable event, int frameLength);

    /**
     * {@code GetDeviceInfo}: the device's descriptors as CE info records (§1.4).
     *
     * @param hDevice the device
     * @return the information, or {@code null} with {@link Win32#ERROR_INVALID_HANDLE}
     */
    @CeFunction(ordinal = 13, member = "lpGetDeviceInfo")
    UsbDevice getDeviceInfo(UsbHandle hDevice);

    /**
     * {@code IssueVendorTransfer}: a control transfer on the default pipe with a caller-built setup packet.
     *
     * @param hDevice the device
     * @param startAddress completion callback, or {@code null} (§1.7)
     * @param notifyParameter passed to the callback
     * @param flags {@code USB_IN_TRANSFER}, {@code USB_NO_WAIT}, {@code USB_SHORT_TRANSFER_OK}
     * @param controlHeader the setup packet; {@code wLength} bytes of {@code buffer} are the data stage
     * @param buffer data stage, at least {@code wLength} bytes remaining; may be {@code null} when wLength is 0
     * @param bufferPhysicalAddress must be 0
     * @return the transfer, or {@code null} with the last error
     */
    @CeFunction(ordinal = 14, member = "lpIssueVendorTransfer")
    UsbTransfer issueVendorTransfer(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            UsbDeviceRequest controlHeader,
            ByteBuffer buffer,
            long bufferPhysicalAddress);

    /**
     * {@code GetInterface}: GET_INTERFACE; the alternate setting arrives in {@code alternateSetting[0]}
     * when the transfer completes.
     *
     * @param hDevice the device
     * @param startAddress completion callback, or {@code null}
     * @param notifyParameter passed to the callback
     * @param flags transfer flags
     * @param bInterfaceNumber interface number
     * @param alternateSetting receives the alternate setting (CE's {@code PUCHAR})
     * @return the transfer, or {@code null} with the last error
     */
    @CeFunction(ordinal = 15, member = "lpGetInterface")
    UsbTransfer getInterface(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bInterfaceNumber,
            int[] alternateSetting);

    /**
     * {@code SetInterface}: SET_INTERFACE, selecting an alternate setting (and with it the endpoints and
     * the bandwidth they need).
     *
     * @param hDevice the device
     * @param startAddress completion callback, or {@code null}
     * @param notifyParameter passed to the callback
     * @param flags transfer flags
     * @param bInterfaceNumber interface number
     * @param bAlternateSetting alternate setting
     * @return the transfer, or {@code null} with the last error
     */
    @CeFunction(ordinal = 16, member = "lpSetInterface")
    UsbTransfer setInterface(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bInterfaceNumber,
            int bAlternateSetting);

    /**
     * {@code GetDescriptor}: GET_DESCRIPTOR into {@code buffer}.
     *
     * @param hDevice the device
     * @param startAddress completion callback, or {@code null}
     * @param notifyParameter passed to the callback
     * @param flags transfer flags
     * @param bType descriptor type
     * @param bIndex descriptor index
     * @param wLanguage language ID (strings), else 0
     * @param wLength bytes requested
     * @param buffer receives the descriptor, at least {@code wLength} bytes remaining
     * @return the transfer, or {@code null} with the last error
     */
    @CeFunction(ordinal = 17, member = "lpGetDescriptor")
    UsbTransfer getDescriptor(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bType,
            int bIndex,
            int wLanguage,
            int wLength,
            ByteBuffer buffer);

    /**
     * {@code SetDescriptor}: SET_DESCRIPTOR from {@code buffer}.
     *
     * @param hDevice the device
     * @param startAddress completion callback, or {@code null}
     * @param notifyParameter passed to the callback
     * @param flags transfer flags
     * @param bType descriptor type
     * @param bIndex descriptor index
     * @param wLanguage language ID (strings), else 0
     * @param wLength bytes to send
     * @param buffer the descriptor, at least {@code wLength} bytes remaining
     * @return the transfer, or {@code null} with the last error
     */
    @CeFunction(ordinal = 18, member = "lpSetDescriptor")
    UsbTransfer setDescriptor(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bType,
            int bIndex,
            int wLanguage,
            int wLength,
            ByteBuffer buffer);

    /**
     * {@code SetFeature}: SET_FEATURE to the recipient chosen by {@code USB_SEND_TO_*} (endpoint by default).
     *
     * @param hDevice the device
     * @param startAddress completion callback, or {@code null}
     * @param notifyParameter passed to the callback
     * @param flags transfer flags with the recipient
     * @param wFeature feature selector
     * @param bIndex interface or endpoint, 0 for the device
     * @return the transfer, or {@code null} with the last error
     */
    @CeFunction(ordinal = 19, member = "lpSetFeature")
    UsbTransfer setFeature(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int wFeature,
            int bIndex);

    /**
     * {@code ClearFeature}: CLEAR_FEATURE, e.g. ENDPOINT_HALT after a stall.
     *
     * @param hDevice the device
     * @param startAddress completion callback, or {@code null}
     * @param notifyParameter passed to the callback
     * @param flags transfer flags with the recipient
     * @param wFeature feature selector
     * @param bIndex interface or endpoint, 0 for the device
     * @return the transfer, or {@code null} with the last error
     */
    @CeFunction(ordinal = 20, member = "lpClearFeature")
    UsbTransfer clearFeature(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int wFeature,
            int bIndex);

    /**
     * {@code GetStatus}: GET_STATUS; the status word arrives in {@code status[0]} on completion.
     *
     * @param hDevice the device
     * @param startAddress completion callback, or {@code null}
     * @param notifyParameter passed to the callback
     * @param flags transfer flags with the recipient
     * @param bIndex interface or endpoint, 0 for the device
     * @param status receives the status word (CE's {@code LPWORD})
     * @return the transfer, or {@code null} with the last error
     */
    @CeFunction(ordinal = 21, member = "lpGetStatus")
    UsbTransfer getStatus(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bIndex,
            int[] status);

    /**
     * {@code SyncFrame}: SYNCH_FRAME (bRequest 12) to an isochronous endpoint; the frame number where its
     * packet pattern starts arrives in {@code frame[0]} (§1.9). usbd4j sends the USB-correct
     * {@code bmRequestType} 0x82, not CE 6/7's 0x02.
     *
     * @param hDevice the device
     * @param startAddress completion callback, or {@code null}
     * @param notifyParameter passed to the callback
     * @param flags transfer flags
     * @param bEndpoint endpoint address
     * @param frame receives the frame number (CE's {@code LPWORD})
     * @return the transfer, or {@code null} with the last error
     */
    @CeFunction(ordinal = 22, member = "lpSyncFrame")
    UsbTransfer syncFrame(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bEndpoint,
            int[] frame);

    /**
     * {@code OpenPipe}: opens an endpoint of the current alternate settings (§1.10).
     *
     * @param hDevice the device
     * @param endpointDescriptor the endpoint, as found in {@link #getDeviceInfo}
     * @return the pipe, or {@code null} with {@link Win32#ERROR_INVALID_HANDLE},
     *     {@link Win32#ERROR_INVALID_PARAMETER} (no such endpoint), or {@link Win32#ERROR_BUSY} (already
     *     open, or the periodic bandwidth budget is exhausted)
     */
    @CeFunction(ordinal = 23, member = "lpOpenPipe")
    UsbPipe openPipe(UsbHandle hDevice, UsbEndpointDescriptor endpointDescriptor);

    /**
     * {@code AbortPipeTransfers}: {@link #abortTransfer} on every live transfer of the pipe, newest first, as
     * Linux's {@code usb_kill_anchored_urbs} does, so that a later transfer cannot start in a gap an earlier
     * one left (§1.7).
     *
     * @param pipe the pipe
     * @param flags 0 to wait for each, or {@code USB_NO_WAIT}
     * @return {@code true} for a valid pipe
     */
    @CeFunction(ordinal = 24, member = "lpAbortPipeTransfers")
    boolean abortPipeTransfers(UsbPipe pipe, int flags);

    /**
     * {@code ResetPipe}: clears the host-side halt and the data toggle; does not clear a device STALL (§1.10).
     *
     * @param pipe the pipe
     * @return {@code false} with {@link Win32#ERROR_INVALID_HANDLE} for a bad pipe
     */
    @CeFunction(ordinal = 25, member = "lpResetPipe")
    boolean resetPipe(UsbPipe pipe);

    /**
     * {@code ClosePipe}: new transfers fail, live ones are aborted, newest first, and completed with
     * {@code USB_CANCELED_ERROR} (their callbacks run; when called from a callback, those queued behind it
     * run after it returns), then the pipe is closed (§1.10). The transfers' handles stay valid until
     * {@link #closeTransfer} (CE's USBD frees them here).
     *
     * @param pipe the pipe
     * @return {@code false} with {@link Win32#ERROR_INVALID_HANDLE} for a bad or closed pipe
     */
    @CeFunction(ordinal = 26, member = "lpClosePipe")
    boolean closePipe(UsbPipe pipe);

    /**
     * {@code IsPipeHalted}: the host-side halted state (§1.10).
     *
     * @param pipe the pipe
     * @param halted receives the state in element 0
     * @return {@code false} for a bad pipe
     */
    @CeFunction(ordinal = 27, member = "lpIsPipeHalted")
    boolean isPipeHalted(UsbPipe pipe, boolean[] halted);

    /**
     * {@code IssueControlTransfer}: a control transfer on a control pipe.
     *
     * @param pipe a control pipe
     * @param startAddress completion callback, or {@code null}
     * @param notifyParameter passed to the callback
     * @param flags transfer flags
     * @param controlHeader the setup packet ({@code lpvControlHeader})
     * @param bufferSize bytes in the data stage
     * @param buffer data stage, at least {@code bufferSize} bytes remaining
     * @param bufferPhysicalAddress must be 0
     * @return the transfer, or {@code null} with the last error
     */
    @CeFunction(ordinal = 28, member = "lpIssueControlTransfer")
    UsbTransfer issueControlTransfer(
            UsbPipe pipe,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            UsbDeviceRequest controlHeader,
            int bufferSize,
            ByteBuffer buffer,
            long bufferPhysicalAddress);

    /**
     * {@code IssueBulkTransfer}: a bulk transfer; a short IN transfer is an error
     * ({@code USB_DATA_UNDERRUN_ERROR}) unless {@code USB_SHORT_TRANSFER_OK} is set.
     *
     * @param pipe a bulk pipe
     * @param startAddress completion callback, or {@code null}
     * @param notifyParameter passed to the callback
     * @param flags transfer flags
     * @param bufferSize bytes to transfer
     * @param buffer at least {@code bufferSize} bytes remaining
     * @param bufferPhysicalAddress must be 0
     * @return the transfer, or {@code null} with the last error
     */
    @CeFunction(ordinal = 29, member = "lpIssueBulkTransfer")
    UsbTransfer issueBulkTransfer(
            UsbPipe pipe,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bufferSize,
            ByteBuffer buffer,
            long bufferPhysicalAddress);

    /**
     * {@code IssueInterruptTransfer}: an interrupt transfer, with the same rules as bulk.
     *
     * @param pipe an interrupt pipe
     * @param startAddress completion callback, or {@code null}
     * @param notifyParameter passed to the callback
     * @param flags transfer flags
     * @param bufferSize bytes to transfer
     * @param buffer at least {@code bufferSize} bytes remaining
     * @param bufferPhysicalAddress must be 0
     * @return the transfer, or {@code null} with the last error
     */
    @CeFunction(ordinal = 30, member = "lpIssueInterruptTransfer")
    UsbTransfer issueInterruptTransfer(
            UsbPipe pipe,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bufferSize,
            ByteBuffer buffer,
            long bufferPhysicalAddress);

    /**
     * {@code IssueIsochTransfer} (§1.8): one length per frame, data concatenated in {@code buffer}.
     *
     * <p>On a full-speed pipe each entry is one 1 ms frame; on a high-speed pipe each entry is one service
     * interval (a microframe slot at bInterval 1). With {@link UsbTypes#USB_START_ISOCH_ASAP} the
     * transfer continues the pipe's stream or starts at the current frame plus the configured lead (6
     * frames by default); an explicit {@code startingFrame} earlier than that is refused with
     * {@link Win32#ERROR_CAN_NOT_COMPLETE}. Every frame starts as {@code USB_NOT_COMPLETE_ERROR}; with
     * {@link UsbTypes#USB_COMPRESS_ISOCH} (IN only) received frames are packed back to back.
     *
     * @param pipe an isochronous pipe
     * @param startAddress completion callback, or {@code null} (§1.7)
     * @param notifyParameter passed to the callback
     * @param flags direction, {@code USB_START_ISOCH_ASAP}, {@code USB_NO_WAIT}, {@code USB_COMPRESS_ISOCH},
     *     {@code USB_SHORT_TRANSFER_OK}
     * @param startingFrame first frame; ignored with {@code USB_START_ISOCH_ASAP}
     * @param frames number of entries in {@code lengths}, at least 1
     * @param lengths bytes per frame, each 1..the pipe's raw {@code wMaxPacketSize}; must stay unchanged
     *     until completion
     * @param buffer the data, at least the sum of the lengths remaining
     * @param bufferPhysicalAddress must be 0
     * @return the transfer, or {@code null} with {@link Win32#ERROR_INVALID_HANDLE},
     *     {@link Win32#ERROR_INVALID_PARAMETER}, {@link Win32#ERROR_INVALID_USER_BUFFER} or
     *     {@link Win32#ERROR_CAN_NOT_COMPLETE}
     */
    @CeFunction(ordinal = 31, member = "lpIssueIsochTransfer")
    UsbTransfer issueIsochTransfer(
            UsbPipe pipe,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int startingFrame,
            int frames,
            int[] lengths,
            ByteBuffer buffer,
            long bufferPhysicalAddress);

    /**
     * {@code IsTransferComplete} (§1.7).
     *
     * @param transfer the transfer
     * @return {@code true} iff it is complete; {@code false} also for an invalid or closed handle
     */
    @CeFunction(ordinal = 32, member = "lpIsTransferComplete")
    boolean isTransferComplete(UsbTransfer transfer);

    /**
     * {@code GetTransferStatus} (§1.7): while pending reports 0 bytes and {@code USB_NO_ERROR}.
     *
     * @param transfer the transfer
     * @param bytesTransferred receives the byte count; may be {@code null}
     * @param error receives the {@code USB_ERROR}; may be {@code null}
     * @return {@code true} iff the handle is valid
     */
    @CeFunction(ordinal = 33, member = "lpGetTransferStatus")
    boolean getTransferStatus(UsbTransfer transfer, int[] bytesTransferred, int[] error);

    /**
     * {@code GetIsochResults} (§1.8): zero-fills {@code frames} entries of each array given, then, if the
     * transfer is complete, copies {@code min(frames, dwFrames)} per-frame lengths and errors.
     *
     * @param transfer the transfer
     * @param frames entries to fill
     * @param bytesTransferred per-frame lengths; may be {@code null}
     * @param errors per-frame {@code USB_ERROR}s; may be {@code null}
     * @return {@code true} when complete; {@code false} while pending (arrays zeroed) or for a bad handle
     */
    @CeFunction(ordinal = 34, member = "lpGetIsochResults")
    boolean getIsochResults(UsbTransfer transfer, int frames, int[] bytesTransferred, int[] errors);

    /**
     * {@code AbortTransfer} (§1.7): cancels a pending transfer; it completes with
     * {@code USB_CANCELED_ERROR} and its callback runs. Does nothing for a complete transfer.
     *
     * @param transfer the transfer
     * @param flags 0 to wait until the cancellation is done (at most CE's 10 s; not for the callback), or
     *     {@code USB_NO_WAIT}
     * @return {@code true} on success; {@code false} for a bad or closed handle ({@link Win32#ERROR_INVALID_HANDLE})
     *     or when the cancellation did not complete within the 10 s ({@link Win32#ERROR_TIMEOUT})
     */
    @CeFunction(ordinal = 35, member = "lpAbortTransfer")
    boolean abortTransfer(UsbTransfer transfer, int flags);

    /**
     * {@code CloseTransfer} (§1.7): cancels a pending transfer and waits until it is complete, at most
     * 1000 ms as CE's USBD does, but not for its callback, which may be queued behind the caller's own (a
     * sibling closed from a callback) and still runs, exactly once; then frees the handle.
     *
     * @param transfer the transfer
     * @return {@code true} for a valid handle; {@code false} with {@link Win32#ERROR_INVALID_HANDLE} for a
     *     closed or stale one, which touches no other transfer (see {@link UsbTransfer} for how long a
     *     closed handle stays recognisably closed)
     */
    @CeFunction(ordinal = 36, member = "lpCloseTransfer")
    boolean closeTransfer(UsbTransfer transfer);

    /**
     * {@code ResetDefaultPipe}: {@link #resetPipe} on endpoint 0 (USBDI 1.1).
     *
     * @param hDevice the device
     * @return {@code false} for a bad handle
     */
    @CeFunction(ordinal = 37, member = "lpResetDefaultPipe", since = "1.1")
    boolean resetDefaultPipe(UsbHandle hDevice);

    /**
     * {@code IsDefaultPipeHalted}: {@link #isPipeHalted} on endpoint 0 (USBDI 1.1).
     *
     * @param hDevice the device
     * @param halted receives the state in element 0
     * @return {@code false} for a bad handle
     */
    @CeFunction(ordinal = 38, member = "lpIsDefaultPipeHalted", since = "1.1")
    boolean isDefaultPipeHalted(UsbHandle hDevice, boolean[] halted);

    /**
     * {@code DisableDevice} (USBDI 1.2): takes the device off the bus as if unplugged, optionally
     * resetting and re-enumerating it.
     *
     * @param hDevice the device
     * @param resetDevice {@code true} to re-enumerate it afterwards
     * @param bInterfaceNumber the interface of the calling driver
     * @return {@code false} for a bad handle
     */
    @CeFunction(ordinal = 39, member = "lpDisableDevice", since = "1.2")
    boolean disableDevice(UsbHandle hDevice, boolean resetDevice, int bInterfaceNumber);

    /**
     * {@code SuspendDevice} (USBDI 1.2): suspends the device; drivers receive {@code USB_SUSPENDED_DEVICE}.
     *
     * @param hDevice the device
     * @param bInterfaceNumber the interface of the calling driver
     * @return {@code false} for a bad handle
     */
    @CeFunction(ordinal = 40, member = "lpSuspendDevice", since = "1.2")
    boolean suspendDevice(UsbHandle hDevice, int bInterfaceNumber);

    /**
     * {@code ResumeDevice} (USBDI 1.2): resumes a suspended device; drivers receive {@code USB_RESUMED_DEVICE}.
     *
     * @param hDevice the device
     * @param bInterfaceNumber the interface of the calling driver
     * @return {@code false} for a bad handle
     */
    @CeFunction(ordinal = 41, member = "lpResumeDevice", since = "1.2")
    boolean resumeDevice(UsbHandle hDevice, int bInterfaceNumber);

    /**
     * {@code GetClientRegistryPath} (USBDI 1.3): the registry path of a driver's key, NUL-terminated,
     * e.g. {@code Drivers\USB\ClientDrivers\MyDriver}.
     *
     * @param registryPath receives the path
     * @param regPathUnit capacity of {@code registryPath} in characters
     * @param uniqueDriverId the driver ID
     * @return {@code false} with {@link Win32#ERROR_INSUFFICIENT_BUFFER} or {@link Win32#ERROR_INVALID_PARAMETER}
     */
    @CeFunction(ordinal = 42, member = "lpGetClientRegistryPath", since = "1.3")
    boolean getClientRegistryPath(char[] registryPath, int regPathUnit, String uniqueDriverId);
}
