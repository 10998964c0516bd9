package io.github.usbd4j.internal.engine;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.usb.Usb100.*;
import static io.github.usbd4j.win32.Win32.*;

import io.github.usbd4j.ce.ClientRegistryKey;
import io.github.usbd4j.ce.DeviceNotifyRoutine;
import io.github.usbd4j.ce.TransferNotifyRoutine;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.descriptor.Endpoints;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.internal.capture.TransferTap;
import io.github.usbd4j.usb.DeviceHandle;
import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.usb.UsbStringDescriptor;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Predicate;

/**
 * {@code USB_FUNCS} over the engine (usb-iso-apis.md §1.6–§1.10). Every argument is checked here, before
 * anything reaches a backend; a bad one returns CE's {@code NULL}/{@code FALSE} with the Win32 last error.
 */
public final class CeFuncs implements UsbFuncs {
    /** CE's AbortTransfer guard: it waits at most 10 s for the cancellation (§1.7). */
    private static final long ABORT_WAIT_MILLIS = 10_000;

    private final UsbdRuntime runtime;

    CeFuncs(UsbdRuntime runtime) {
        this.runtime = runtime;
    }

    UsbdRuntime runtime() {
        return runtime;
    }

    // ---- failure and handle checks ---------------------------------------------------------------

    private static <T> T fail(int error) {
        Win32.setLastError(error);
        return null;
    }

    private static boolean failed(int error) {
        Win32.setLastError(error);
        return false;
    }

    DeviceState device(DeviceHandle h) {
        return h instanceof DeviceState d && d.runtime == runtime && d.isValid() ? d : null;
    }

    PipeState pipe(UsbPipe p) {
        return p instanceof PipeState ps && ps.device.runtime == runtime && ps.isOpen() && ps.device.isValid()
                ? ps
                : null;
    }

    TransferState transfer(UsbTransfer t) {
        return t instanceof TransferState ts && ts.pipe.device.runtime == runtime && ts.isValid() ? ts : null;
    }

    private static boolean hasOut(int[] a) {
        return a != null && a.length > 0;
    }

    // ---- 1..13: version, registry, notifications, strings, frames, device info --------------------

    @Override
    public void getUSBDVersion(int[] majorVersion, int[] minorVersion) {
        if (hasOut(majorVersion)) {
            majorVersion[0] = 1;
        }
        if (hasOut(minorVersion)) {
            minorVersion[0] = 3;
        }
    }

    @Override
    public ClientRegistryKey openClientRegistryKey(String uniqueDriverId) {
        ClientRegistryKey k = runtime.registryKey(uniqueDriverId);
        return k != null ? k : fail(ERROR_INVALID_PARAMETER);
    }

    @Override
    public boolean registerNotificationRoutine(
            UsbHandle hDevice, DeviceNotifyRoutine notifyRoutine, Object notifyParameter) {
        DeviceState d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (notifyRoutine == null) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        d.notifications.add(new DeviceState.Notification(notifyRoutine, notifyParameter));
        return true;
    }

    @Override
    public boolean unRegisterNotificationRoutine(
            UsbHandle hDevice, DeviceNotifyRoutine notifyRoutine, Object notifyParameter) {
        DeviceState d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        return d.removeNotification(notifyRoutine, notifyParameter) || failed(ERROR_NOT_FOUND);
    }

    @Override
    public boolean loadGenericInterfaceDriver(UsbHandle hDevice, UsbInterface usbInterface) {
        DeviceState d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (usbInterface == null || !d.info.activeConfig().interfaces().contains(usbInterface)) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        return runtime.offerInterface(d, usbInterface) || failed(ERROR_NOT_FOUND);
    }

    @Override
    public boolean translateStringDesc(UsbStringDescriptor stringDescriptor, char[] string, int cchString) {
        if (stringDescriptor == null
                || string == null
                || cchString < 0
                || cchString > string.length
                || stringDescriptor.bDescriptorType() != Usb100.USB_STRING_DESCRIPTOR_TYPE) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        String text = stringDescriptor.bString();
        if (text.length() + 1 > cchString) {
            return failed(ERROR_INSUFFICIENT_BUFFER);
        }
        text.getChars(0, text.length(), string, 0);
        string[text.length()] = '\0';
        return true;
    }

    @Override
    public UsbInterface findInterface(UsbDevice device, int bInterfaceNumber, int bAlternateSetting) {
        if (device == null) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        UsbInterface i = device.findInterface(bInterfaceNumber, bAlternateSetting);
        return i != null ? i : fail(ERROR_NOT_FOUND);
    }

    @Override
    public boolean getFrameNumber(UsbHandle hDevice, int[] frameNumber) {
        if (device(hDevice) == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (!hasOut(frameNumber)) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        frameNumber[0] = (int) runtime.clock.currentFrame();
        return true;
    }

    @Override
    public boolean getFrameLength(UsbHandle hDevice, int[] frameLength) {
        if (device(hDevice) == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (!hasOut(frameLength)) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        frameLength[0] = runtime.clock.frameLength();
        return true;
    }

    @Override
    public boolean takeFrameLengthControl(UsbHandle hDevice) {
        DeviceState d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        return runtime.takeFrameLengthControl(d) || failed(ERROR_BUSY);
    }

    @Override
    public boolean releaseFrameLengthControl(UsbHandle hDevice) {
        DeviceState d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (!runtime.ownsFrameLength(d)) {
            return failed(ERROR_ACCESS_DENIED);
        }
        runtime.releaseFrameLengthControl();
        return true;
    }

    @Override
    public boolean setFrameLength(UsbHandle hDevice, Runnable event, int frameLength) {
        DeviceState d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (!runtime.ownsFrameLength(d)) {
            return failed(ERROR_ACCESS_DENIED);
        }
        return runtime.clock.adjustFrameLength(frameLength, event) || failed(ERROR_INVALID_PARAMETER);
    }

    @Override
    public UsbDevice getDeviceInfo(UsbHandle hDevice) {
        DeviceState d = device(hDevice);
        return d != null ? d.info : fail(ERROR_INVALID_HANDLE);
    }

    // ---- 14..22: requests on the default pipe ----------------------------------------------------

    @Override
    public UsbTransfer issueVendorTransfer(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            UsbDeviceRequest controlHeader,
            ByteBuffer buffer,
            long bufferPhysicalAddress) {
        DeviceState d = device(hDevice);
        if (d == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        if (controlHeader == null || bufferPhysicalAddress != 0) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        return control(
                d.defaultPipe,
                startAddress,
                notifyParameter,
                flags,
                controlHeader,
                buffer,
                controlHeader.wLength(),
                TransferState.Kind.DATA,
                null,
                0);
    }

    @Override
    public UsbTransfer getInterface(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bInterfaceNumber,
            int[] alternateSetting) {
        DeviceState d = device(hDevice);
        if (d == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        if (!hasOut(alternateSetting) || (bInterfaceNumber & ~0xFF) != 0) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        UsbDeviceRequest r = new UsbDeviceRequest(
                USB_REQUEST_DEVICE_TO_HOST | USB_REQUEST_FOR_INTERFACE,
                Usb100.USB_REQUEST_GET_INTERFACE,
                0,
                bInterfaceNumber,
                1);
        return control(
                d.defaultPipe,
                startAddress,
                notifyParameter,
                flags | USB_IN_TRANSFER,
                r,
                ByteBuffer.allocate(1),
                1,
                TransferState.Kind.GET_INTERFACE,
                alternateSetting,
                0);
    }

    @Override
    public UsbTransfer setInterface(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bInterfaceNumber,
            int bAlternateSetting) {
        DeviceState d = device(hDevice);
        if (d == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        if ((bInterfaceNumber & ~0xFF) != 0
                || (bAlternateSetting & ~0xFF) != 0
                || d.info.findInterface(bInterfaceNumber, bAlternateSetting) == null) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        UsbDeviceRequest r = new UsbDeviceRequest(
                USB_REQUEST_HOST_TO_DEVICE | USB_REQUEST_FOR_INTERFACE,
                Usb100.USB_REQUEST_SET_INTERFACE,
                bAlternateSetting,
                bInterfaceNumber,
                0);
        return control(
                d.defaultPipe,
                startAddress,
                notifyParameter,
                flags & ~USB_IN_TRANSFER,
                r,
                null,
                0,
                TransferState.Kind.SET_INTERFACE,
                null,
                bInterfaceNumber << 8 | bAlternateSetting);
    }

    @Override
    public UsbTransfer getDescriptor(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bType,
            int bIndex,
            int wLanguage,
            int wLength,
            ByteBuffer buffer) {
        return descriptorRequest(
                hDevice,
                startAddress,
                notifyParameter,
                flags | USB_IN_TRANSFER,
                Usb100.USB_REQUEST_GET_DESCRIPTOR,
                bType,
                bIndex,
                wLanguage,
                wLength,
                buffer);
    }

    @Override
    public UsbTransfer setDescriptor(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bType,
            int bIndex,
            int wLanguage,
            int wLength,
            ByteBuffer buffer) {
        return descriptorRequest(
                hDevice,
                startAddress,
                notifyParameter,
                flags & ~USB_IN_TRANSFER,
                Usb100.USB_REQUEST_SET_DESCRIPTOR,
                bType,
                bIndex,
                wLanguage,
                wLength,
                buffer);
    }

    private UsbTransfer descriptorRequest(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int request,
            int bType,
            int bIndex,
            int wLanguage,
            int wLength,
            ByteBuffer buffer) {
        DeviceState d = device(hDevice);
        if (d == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        if (((bType | bIndex) & ~0xFF) != 0 || ((wLanguage | wLength) & ~0xFFFF) != 0) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        int direction = (flags & USB_IN_TRANSFER) != 0 ? USB_REQUEST_DEVICE_TO_HOST : USB_REQUEST_HOST_TO_DEVICE;
        UsbDeviceRequest r = new UsbDeviceRequest(
                direction | USB_REQUEST_FOR_DEVICE, request, bType << 8 | bIndex, wLanguage, wLength);
        return control(
                d.defaultPipe,
                startAddress,
                notifyParameter,
                flags,
                r,
                buffer,
                wLength,
                TransferState.Kind.DATA,
                null,
                0);
    }

    @Override
    public UsbTransfer setFeature(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int wFeature,
            int bIndex) {
        return feature(hDevice, startAddress, notifyParameter, flags, Usb100.USB_REQUEST_SET_FEATURE, wFeature, bIndex);
    }

    @Override
    public UsbTransfer clearFeature(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int wFeature,
            int bIndex) {
        return feature(
                hDevice, startAddress, notifyParameter, flags, Usb100.USB_REQUEST_CLEAR_FEATURE, wFeature, bIndex);
    }

    private UsbTransfer feature(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int request,
            int wFeature,
            int bIndex) {
        DeviceState d = device(hDevice);
        if (d == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        if ((wFeature & ~0xFFFF) != 0 || (bIndex & ~0xFF) != 0) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        UsbDeviceRequest r =
                new UsbDeviceRequest(USB_REQUEST_HOST_TO_DEVICE | recipient(flags), request, wFeature, bIndex, 0);
        return control(
                d.defaultPipe,
                startAddress,
                notifyParameter,
                flags & ~USB_IN_TRANSFER,
                r,
                null,
                0,
                TransferState.Kind.DATA,
                null,
                0);
    }

    /** {@code USB_SEND_TO_*} to a recipient; the endpoint is CE's default when neither other bit is set. */
    private static int recipient(int flags) {
        if ((flags & USB_SEND_TO_DEVICE) != 0) {
            return USB_REQUEST_FOR_DEVICE;
        }
        if ((flags & USB_SEND_TO_INTERFACE) != 0) {
            return USB_REQUEST_FOR_INTERFACE;
        }
        return USB_REQUEST_FOR_ENDPOINT;
    }

    @Override
    public UsbTransfer getStatus(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bIndex,
            int[] status) {
        DeviceState d = device(hDevice);
        if (d == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        if (!hasOut(status) || (bIndex & ~0xFF) != 0) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        UsbDeviceRequest r = new UsbDeviceRequest(
                USB_REQUEST_DEVICE_TO_HOST | recipient(flags), Usb100.USB_REQUEST_GET_STATUS, 0, bIndex, 2);
        return control(
                d.defaultPipe,
                startAddress,
                notifyParameter,
                flags | USB_IN_TRANSFER,
                r,
                ByteBuffer.allocate(2),
                2,
                TransferState.Kind.GET_STATUS,
                status,
                0);
    }

    @Override
    public UsbTransfer syncFrame(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bEndpoint,
            int[] frame) {
        DeviceState d = device(hDevice);
        if (d == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        if (!hasOut(frame) || (bEndpoint & ~0xFF) != 0) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        // USB 2.0 §9.4.11: bmRequestType 0x82 (CE 6/7 sends 0x02, §1.9)
        UsbDeviceRequest r = new UsbDeviceRequest(
                USB_REQUEST_DEVICE_TO_HOST | USB_REQUEST_FOR_ENDPOINT, Usb100.USB_REQUEST_SYNC_FRAME, 0, bEndpoint, 2);
        return control(
                d.defaultPipe,
                startAddress,
                notifyParameter,
                flags | USB_IN_TRANSFER,
                r,
                ByteBuffer.allocate(2),
                2,
                TransferState.Kind.SYNC_FRAME,
                frame,
                0);
    }

    // ---- 23..27: pipes ---------------------------------------------------------------------------

    @Override
    public UsbPipe openPipe(UsbHandle hDevice, UsbEndpointDescriptor endpointDescriptor) {
        DeviceState d = device(hDevice);
        if (d == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        if (endpointDescriptor == null) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        int address = endpointDescriptor.bEndpointAddress();
        UsbEndpoint e =
                (address & 0x7F) == 0 ? new UsbEndpoint(endpointDescriptor, null) : d.findEndpoint(endpointDescriptor);
        if (e == null) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        TransferType type = TransferType.of(endpointDescriptor.bmAttributes());
        if (type == TransferType.CONTROL && (address & 0x7F) != 0 && (address & 0x80) != 0) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        synchronized (d) {
            if (d.hasPipe(address)) {
                return fail(ERROR_BUSY);
            }
            int perEntry;
            int period;
            if (type == TransferType.ISOCHRONOUS || type == TransferType.INTERRUPT) {
                perEntry = Endpoints.bytesPerServiceInterval(e, d.speed);
                period = Endpoints.servicePeriod(endpointDescriptor, d.speed);
                if (!d.backend.reservePeriodic(address, type, perEntry, period)) {
                    return fail(ERROR_BUSY);
                }
            } else {
                perEntry = endpointDescriptor.maxPacketPayload();
                period = 1;
            }
            PipeState p = new PipeState(d, e, perEntry, period, runtime.clock.currentFrame());
            d.addPipe(p);
            return p;
        }
    }

    @Override
    public boolean abortPipeTransfers(UsbPipe pipe, int flags) {
        PipeState p = pipe(pipe);
        if (p == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if ((flags & ~USB_NO_WAIT) != 0) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        for (TransferState t : p.liveTransfers()) {
            abort(t, flags);
        }
        return true;
    }

    @Override
    public boolean resetPipe(UsbPipe pipe) {
        PipeState p = pipe(pipe);
        if (p == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        p.clearHalt();
        p.device.backend.resetEndpoint(p.address());
        return true;
    }

    @Override
    public boolean closePipe(UsbPipe pipe) {
        PipeState p = pipe(pipe);
        if (p == null || p == p.device.defaultPipe) {
            return failed(ERROR_INVALID_HANDLE);
        }
        closePipeNow(p);
        return true;
    }

    /**
     * CE's {@code ClosePipe} (§1.10): new transfers fail, live ones are aborted and waited for, and their
     * callbacks run. Unlike CE's USBD, which also frees them, the transfers stay valid and queryable until
     * the client closes them: a synchronous caller woken by the cancellation, or a Java-first caller, can
     * still read {@code USB_CANCELED_ERROR} from its handle.
     */
    void closePipeNow(PipeState p) {
        if (!p.markClosed()) {
            return;
        }
        for (TransferState t : p.liveTransfers()) {
            abort(t, 0);
        }
        p.callbacks.awaitIdle();
        DeviceState d = p.device;
        if (p != d.defaultPipe) {
            if (p.type == TransferType.ISOCHRONOUS || p.type == TransferType.INTERRUPT) {
                d.backend.releasePeriodic(p.address());
            }
            d.removePipe(p);
        }
    }

    @Override
    public boolean isPipeHalted(UsbPipe pipe, boolean[] halted) {
        PipeState p = pipe(pipe);
        if (p == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (halted == null || halted.length == 0) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        halted[0] = p.isHalted();
        return true;
    }

    // ---- 28..31: transfers on a pipe -------------------------------------------------------------

    @Override
    public UsbTransfer issueControlTransfer(
            UsbPipe pipe,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            UsbDeviceRequest controlHeader,
            int bufferSize,
            ByteBuffer buffer,
            long bufferPhysicalAddress) {
        PipeState p = pipe(pipe);
        if (p == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        if (p.type != TransferType.CONTROL
                || controlHeader == null
                || bufferPhysicalAddress != 0
                || bufferSize < 0
                || bufferSize > controlHeader.wLength()) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        return control(
                p,
                startAddress,
                notifyParameter,
                flags,
                controlHeader,
                buffer,
                bufferSize,
                TransferState.Kind.DATA,
                null,
                0);
    }

    private UsbTransfer control(
            PipeState p,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            UsbDeviceRequest setup,
            ByteBuffer buffer,
            int length,
            TransferState.Kind kind,
            int[] out,
            int outArg) {
        if ((flags & ~USB_ALL_FLAGS) != 0
                || ((flags & USB_IN_TRANSFER) != 0) != setup.isDeviceToHost()
                || (flags & (USB_START_ISOCH_ASAP | USB_COMPRESS_ISOCH)) != 0) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        if (!bufferHolds(buffer, length, setup.isDeviceToHost())) {
            return fail(ERROR_INVALID_USER_BUFFER);
        }
        TransferState t = p.acquire();
        if (t == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        t.begin(startAddress, notifyParameter, flags, kind, buffer, buffer == null ? 0 : buffer.position());
        t.outParameter(out, outArg);
        t.backend.control(p.address(), setup.toBytes(), buffer, t.offset(), length);
        return submit(t);
    }

    @Override
    public UsbTransfer issueBulkTransfer(
            UsbPipe pipe,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bufferSize,
            ByteBuffer buffer,
            long bufferPhysicalAddress) {
        return bulk(
                TransferType.BULK,
                pipe,
                startAddress,
                notifyParameter,
                flags,
                bufferSize,
                buffer,
                bufferPhysicalAddress);
    }

    @Override
    public UsbTransfer issueInterruptTransfer(
            UsbPipe pipe,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bufferSize,
            ByteBuffer buffer,
            long bufferPhysicalAddress) {
        return bulk(
                TransferType.INTERRUPT,
                pipe,
                startAddress,
                notifyParameter,
                flags,
                bufferSize,
                buffer,
                bufferPhysicalAddress);
    }

    private UsbTransfer bulk(
            TransferType type,
            UsbPipe pipe,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bufferSize,
            ByteBuffer buffer,
            long bufferPhysicalAddress) {
        PipeState p = pipe(pipe);
        if (p == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        boolean in = p.descriptor.isIn();
        if (p.type != type
                || bufferPhysicalAddress != 0
                || bufferSize < 0
                || (flags & ~USB_ALL_FLAGS) != 0
                || ((flags & USB_IN_TRANSFER) != 0) != in
                || (flags & (USB_START_ISOCH_ASAP | USB_COMPRESS_ISOCH)) != 0) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        if (!bufferHolds(buffer, bufferSize, in)) {
            return fail(ERROR_INVALID_USER_BUFFER);
        }
        TransferState t = p.acquire();
        if (t == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        t.begin(
                startAddress,
                notifyParameter,
                flags,
                TransferState.Kind.DATA,
                buffer,
                buffer == null ? 0 : buffer.position());
        t.backend.bulk(type, p.address(), buffer, t.offset(), bufferSize, in && (flags & USB_SHORT_TRANSFER_OK) == 0);
        return submit(t);
    }

    private static boolean bufferHolds(ByteBuffer buffer, long length, boolean written) {
        if (length == 0) {
            return true;
        }
        return buffer != null && buffer.remaining() >= length && !(written && buffer.isReadOnly());
    }

    @Override
    public UsbTransfer issueIsochTransfer(
            UsbPipe pipe,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int startingFrame,
            int frames,
            int[] lengths,
            ByteBuffer buffer,
            long bufferPhysicalAddress) {
        PipeState p = pipe(pipe);
        if (p == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        boolean in = p.descriptor.isIn();
        if (p.type != TransferType.ISOCHRONOUS
                || bufferPhysicalAddress != 0
                || frames <= 0
                || lengths == null
                || lengths.length < frames
                || (flags & ~USB_ALL_FLAGS) != 0
                || ((flags & USB_IN_TRANSFER) != 0) != in
                || ((flags & USB_COMPRESS_ISOCH) != 0 && !in)) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        long total = 0;
        for (int k = 0; k < frames; k++) {
            int len = lengths[k];
            if (len <= 0 || len > p.maxBytesPerEntry) { // CE EHCI: every length non-zero and within the endpoint (§1.8)
                return fail(ERROR_INVALID_PARAMETER);
            }
            total += len;
        }
        if (buffer == null || !bufferHolds(buffer, total, in)) {
            return fail(ERROR_INVALID_USER_BUFFER);
        }
        TransferState t = p.acquire();
        if (t == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        long start = p.schedule(
                PipeState.Policy.CE,
                runtime.clock.currentFrame(),
                runtime.startFrameLead,
                (flags & USB_START_ISOCH_ASAP) != 0,
                false,
                startingFrame,
                frames);
        if (start < 0) {
            p.release(t);
            return fail(ERROR_CAN_NOT_COMPLETE);
        }
        return submitIsoch(t, startAddress, notifyParameter, flags, start, frames, lengths, buffer, buffer.position());
    }

    /**
     * Starts a validated, scheduled isochronous transfer: the one path every personality shares.
     *
     * @param base where the data starts in {@code buffer}
     */
    UsbTransfer submitIsoch(
            TransferState t,
            TransferNotifyRoutine callback,
            Object notifyParameter,
            int flags,
            long start,
            int frames,
            int[] lengths,
            ByteBuffer buffer,
            int base) {
        t.begin(callback, notifyParameter, flags, TransferState.Kind.ISOCH, buffer, base);
        t.isochFrames(frames, start);
        t.backend.isochronous(t.pipe.address(), buffer, base, start, t.pipe.period, lengths, frames);
        return submit(t);
    }

    /** Hands a prepared transfer to the backend, then waits for it if the call is synchronous (§1.7). */
    UsbTransfer submit(TransferState t) {
        TransferTap tap = runtime.tap; // the capture hook: every personality's transfers pass here
        if (tap != null) {
            tap.submitted(t);
        }
        try {
            t.pipe.device.backend.submit(t.backend);
        } catch (BackendException e) {
            if (tap != null) {
                tap.refused(t, e.status());
            }
            t.pipe.release(t);
            return fail(e.status() == PacketStatus.DEVICE_GONE ? ERROR_INVALID_HANDLE : ERROR_GEN_FAILURE);
        }
        if (t.isCallbackLess() && (t.flags() & USB_NO_WAIT) == 0) {
            boolean done = false;
            boolean interrupted = false;
            try {
                done = runtime.awaitComplete(t, runtime.syncTimeoutMillis);
            } catch (InterruptedException e) {
                interrupted = true;
            }
            if (!done) {
                // CE frees the transfer and returns NULL when the synchronous wait times out
                abort(t, 0);
                t.pipe.release(t);
                if (interrupted) {
                    Thread.currentThread().interrupt();
                    return fail(ERROR_OPERATION_ABORTED);
                }
                return fail(ERROR_TIMEOUT);
            }
        }
        return t;
    }

    // ---- 32..36: transfer queries, abort and close -----------------------------------------------

    @Override
    public boolean isTransferComplete(UsbTransfer transfer) {
        TransferState t = transfer(transfer);
        if (t == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        return t.isComplete();
    }

    @Override
    public boolean getTransferStatus(UsbTransfer transfer, int[] bytesTransferred, int[] error) {
        TransferState t = transfer(transfer);
        if (t == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if ((bytesTransferred != null && bytesTransferred.length == 0) || (error != null && error.length == 0)) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        if (bytesTransferred != null) {
            bytesTransferred[0] = t.bytesTransferred();
        }
        if (error != null) {
            error[0] = t.error();
        }
        return true;
    }

    @Override
    public boolean getIsochResults(UsbTransfer transfer, int frames, int[] bytesTransferred, int[] errors) {
        if (frames < 0
                || (bytesTransferred != null && bytesTransferred.length < frames)
                || (errors != null && errors.length < frames)) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        if (bytesTransferred != null) {
            Arrays.fill(bytesTransferred, 0, frames, 0);
        }
        if (errors != null) {
            Arrays.fill(errors, 0, frames, 0);
        }
        TransferState t = transfer(transfer);
        if (t == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (!t.isComplete()) {
            return failed(ERROR_IO_INCOMPLETE);
        }
        t.copyIsochResults(frames, bytesTransferred, errors);
        return true;
    }

    @Override
    public boolean abortTransfer(UsbTransfer transfer, int flags) {
        TransferState t = transfer(transfer);
        if (t == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if ((flags & ~USB_NO_WAIT) != 0) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        return abort(t, flags) || failed(ERROR_TIMEOUT);
    }

    /** Cancels once; without {@code USB_NO_WAIT} waits up to CE's 10 s for the completion. */
    private boolean abort(TransferState t, int flags) {
        if (t.requestAbort()) {
            t.pipe.device.backend.cancel(t.backend);
        }
        if ((flags & USB_NO_WAIT) != 0 || !t.isPending()) {
            return true;
        }
        boolean interrupted = false;
        boolean done;
        while (true) {
            try {
                done = runtime.awaitComplete(t, ABORT_WAIT_MILLIS);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return done;
    }

    @Override
    public boolean closeTransfer(UsbTransfer transfer) {
        TransferState t = transfer(transfer);
        if (t == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (t.isPending()) {
            abort(t, 0);
        }
        t.awaitCallback(); // the callback runs even for a transfer closed while pending (§1.7)
        t.pipe.release(t);
        return true;
    }

    // ---- 37..42 ----------------------------------------------------------------------------------

    @Override
    public boolean resetDefaultPipe(UsbHandle hDevice) {
        DeviceState d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        return resetPipe(d.defaultPipe);
    }

    @Override
    public boolean isDefaultPipeHalted(UsbHandle hDevice, boolean[] halted) {
        DeviceState d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        return isPipeHalted(d.defaultPipe, halted);
    }

    @Override
    public boolean disableDevice(UsbHandle hDevice, boolean resetDevice, int bInterfaceNumber) {
        DeviceState d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        return d.backend.disable(resetDevice) || failed(ERROR_NOT_SUPPORTED);
    }

    @Override
    public boolean suspendDevice(UsbHandle hDevice, int bInterfaceNumber) {
        return changePowerState(hDevice, BackendDevice::suspend, USB_SUSPENDED_DEVICE);
    }

    @Override
    public boolean resumeDevice(UsbHandle hDevice, int bInterfaceNumber) {
        return changePowerState(hDevice, BackendDevice::resume, USB_RESUMED_DEVICE);
    }

    /** Suspend or resume: the backend does it, then every driver of the device hears {@code notification}. */
    private boolean changePowerState(UsbHandle hDevice, Predicate<BackendDevice> change, int notification) {
        DeviceState d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (!change.test(d.backend)) {
            return failed(ERROR_NOT_SUPPORTED);
        }
        d.notifyAll(notification);
        return true;
    }

    @Override
    public boolean getClientRegistryPath(char[] registryPath, int regPathUnit, String uniqueDriverId) {
        if (registryPath == null
                || regPathUnit < 0
                || regPathUnit > registryPath.length
                || runtime.registryKey(uniqueDriverId) == null) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        String path = UsbdRuntime.CLIENT_DRIVERS_PATH + uniqueDriverId;
        if (path.length() + 1 > regPathUnit) {
            return failed(ERROR_INSUFFICIENT_BUFFER);
        }
        path.getChars(0, path.length(), registryPath, 0);
        registryPath[path.length()] = '\0';
        return true;
    }
}
