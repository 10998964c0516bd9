package io.github.usbd4j.internal.ce;

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
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.internal.engine.Engine;
import io.github.usbd4j.internal.engine.EnginePipe;
import io.github.usbd4j.internal.engine.StartFramePolicy;
import io.github.usbd4j.internal.engine.Transfer;
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
 * {@code USB_FUNCS} over the engine ([§1.6](reference/ce-usbd.html#s1-6)–[§1.10](reference/ce-usbd.html#s1-10)): the CE
 * personality. Every argument is checked here, before anything reaches the engine; a bad one returns CE's {@code
 * NULL}/{@code FALSE} with the Win32 last error. The rules of the transfer lifecycle (cancel, close, the waits, detach)
 * are the engine's; this class translates CE's calls and codes.
 */
public final class CeFuncs implements UsbFuncs {
    private final Engine engine;
    private final CeDrivers drivers;
    private final long syncTimeoutMillis;

    CeFuncs(Engine engine, CeDrivers drivers, long syncTimeoutMillis) {
        this.engine = engine;
        this.drivers = drivers;
        this.syncTimeoutMillis = syncTimeoutMillis;
    }

    // ---- failure and handle checks ---------------------------------------------------------------

    @SuppressWarnings("TypeParameterUnusedInFormals") // returns null only: CE's NULL for any handle type
    private static <T> T fail(int error) {
        Win32.setLastError(error);
        return null;
    }

    private static boolean failed(int error) {
        Win32.setLastError(error);
        return false;
    }

    private CeDevice device(UsbHandle h) {
        return engine.device(h) instanceof CeDevice d ? d : null;
    }

    private CePipe pipe(UsbPipe p) {
        return p instanceof CePipe cp && cp.device.engine() == engine && cp.pipe.isOpen() && cp.device.isValid()
                ? cp
                : null;
    }

    /**
     * A handle of a use its client has not closed ([§1.7](reference/ce-usbd.html#s1-7) rule c: a stale one answers
     * ERROR_INVALID_HANDLE).
     */
    private CeTransfer transfer(UsbTransfer t) {
        return t instanceof CeTransfer ct && ct.home.device.engine() == engine && ct.isOpen() ? ct : null;
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
        ClientRegistryKey k = drivers.registryKey(uniqueDriverId);
        return k != null ? k : fail(ERROR_INVALID_PARAMETER);
    }

    @Override
    public boolean registerNotificationRoutine(
            UsbHandle hDevice, DeviceNotifyRoutine notifyRoutine, Object notifyParameter) {
        CeDevice d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (notifyRoutine == null) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        d.notifications.add(new CeDevice.Notification(notifyRoutine, notifyParameter));
        return true;
    }

    @Override
    public boolean unRegisterNotificationRoutine(
            UsbHandle hDevice, DeviceNotifyRoutine notifyRoutine, Object notifyParameter) {
        CeDevice d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        return d.removeNotification(notifyRoutine, notifyParameter) || failed(ERROR_NOT_FOUND);
    }

    @Override
    public boolean loadGenericInterfaceDriver(UsbHandle hDevice, UsbInterface usbInterface) {
        CeDevice d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (usbInterface == null || !d.info().activeConfig().interfaces().contains(usbInterface)) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        return drivers.offerInterface(d, usbInterface) || failed(ERROR_NOT_FOUND);
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
        frameNumber[0] = (int) engine.now();
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
        frameLength[0] = engine.clock().frameLength();
        return true;
    }

    @Override
    public boolean takeFrameLengthControl(UsbHandle hDevice) {
        CeDevice d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        return drivers.takeFrameLengthControl(d) || failed(ERROR_BUSY);
    }

    @Override
    public boolean releaseFrameLengthControl(UsbHandle hDevice) {
        CeDevice d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (!drivers.ownsFrameLength(d)) {
            return failed(ERROR_ACCESS_DENIED);
        }
        drivers.releaseFrameLengthControl();
        return true;
    }

    @Override
    public boolean setFrameLength(UsbHandle hDevice, Runnable event, int frameLength) {
        CeDevice d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (!drivers.ownsFrameLength(d)) {
            return failed(ERROR_ACCESS_DENIED);
        }
        return engine.clock().adjustFrameLength(frameLength, event) || failed(ERROR_INVALID_PARAMETER);
    }

    @Override
    public UsbDevice getDeviceInfo(UsbHandle hDevice) {
        CeDevice d = device(hDevice);
        return d != null ? d.info() : fail(ERROR_INVALID_HANDLE);
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
        CeDevice d = device(hDevice);
        if (d == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        if (controlHeader == null || bufferPhysicalAddress != 0) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        return control(
                d.ep0,
                startAddress,
                notifyParameter,
                flags,
                controlHeader,
                buffer,
                controlHeader.wLength(),
                CeRequest.Kind.DATA,
                null);
    }

    @Override
    public UsbTransfer getInterface(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bInterfaceNumber,
            int[] alternateSetting) {
        CeDevice d = device(hDevice);
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
                d.ep0,
                startAddress,
                notifyParameter,
                flags | USB_IN_TRANSFER,
                r,
                ByteBuffer.allocate(1),
                1,
                CeRequest.Kind.GET_INTERFACE,
                alternateSetting);
    }

    @Override
    public UsbTransfer setInterface(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bInterfaceNumber,
            int bAlternateSetting) {
        CeDevice d = device(hDevice);
        if (d == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        if ((bInterfaceNumber & ~0xFF) != 0
                || (bAlternateSetting & ~0xFF) != 0
                || d.info().findInterface(bInterfaceNumber, bAlternateSetting) == null) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        UsbDeviceRequest r = new UsbDeviceRequest(
                USB_REQUEST_HOST_TO_DEVICE | USB_REQUEST_FOR_INTERFACE,
                Usb100.USB_REQUEST_SET_INTERFACE,
                bAlternateSetting,
                bInterfaceNumber,
                0);
        return control(
                d.ep0, startAddress, notifyParameter, flags & ~USB_IN_TRANSFER, r, null, 0, CeRequest.Kind.DATA, null);
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
        CeDevice d = device(hDevice);
        if (d == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        if (((bType | bIndex) & ~0xFF) != 0 || ((wLanguage | wLength) & ~0xFFFF) != 0) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        int direction = (flags & USB_IN_TRANSFER) != 0 ? USB_REQUEST_DEVICE_TO_HOST : USB_REQUEST_HOST_TO_DEVICE;
        UsbDeviceRequest r = new UsbDeviceRequest(
                direction | USB_REQUEST_FOR_DEVICE, request, bType << 8 | bIndex, wLanguage, wLength);
        return control(d.ep0, startAddress, notifyParameter, flags, r, buffer, wLength, CeRequest.Kind.DATA, null);
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
        CeDevice d = device(hDevice);
        if (d == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        if ((wFeature & ~0xFFFF) != 0 || (bIndex & ~0xFF) != 0) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        UsbDeviceRequest r =
                new UsbDeviceRequest(USB_REQUEST_HOST_TO_DEVICE | recipient(flags), request, wFeature, bIndex, 0);
        return control(
                d.ep0, startAddress, notifyParameter, flags & ~USB_IN_TRANSFER, r, null, 0, CeRequest.Kind.DATA, null);
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
        CeDevice d = device(hDevice);
        if (d == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        if (!hasOut(status) || (bIndex & ~0xFF) != 0) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        UsbDeviceRequest r = new UsbDeviceRequest(
                USB_REQUEST_DEVICE_TO_HOST | recipient(flags), Usb100.USB_REQUEST_GET_STATUS, 0, bIndex, 2);
        return control(
                d.ep0,
                startAddress,
                notifyParameter,
                flags | USB_IN_TRANSFER,
                r,
                ByteBuffer.allocate(2),
                2,
                CeRequest.Kind.GET_STATUS,
                status);
    }

    @Override
    public UsbTransfer syncFrame(
            UsbHandle hDevice,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            int bEndpoint,
            int[] frame) {
        CeDevice d = device(hDevice);
        if (d == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        if (!hasOut(frame) || (bEndpoint & ~0xFF) != 0) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        // USB 2.0 §9.4.11: bmRequestType 0x82 (CE 6/7 sends 0x02, [§1.9](reference/ce-usbd.html#s1-9))
        UsbDeviceRequest r = new UsbDeviceRequest(
                USB_REQUEST_DEVICE_TO_HOST | USB_REQUEST_FOR_ENDPOINT, Usb100.USB_REQUEST_SYNC_FRAME, 0, bEndpoint, 2);
        return control(
                d.ep0,
                startAddress,
                notifyParameter,
                flags | USB_IN_TRANSFER,
                r,
                ByteBuffer.allocate(2),
                2,
                CeRequest.Kind.SYNC_FRAME,
                frame);
    }

    // ---- 23..27: pipes ---------------------------------------------------------------------------

    @Override
    public UsbPipe openPipe(UsbHandle hDevice, UsbEndpointDescriptor endpointDescriptor) {
        CeDevice d = device(hDevice);
        if (d == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        if (endpointDescriptor == null) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        // one rule for every endpoint (Endpoints.problem): endpoint 0 is the default pipe, never opened
        // here; an endpoint of the active configuration passed the parser's part of the rule already
        UsbEndpoint e =
                Endpoints.problem(endpointDescriptor, d.speed()) == null ? d.findEndpoint(endpointDescriptor) : null;
        if (e == null) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        EnginePipe p = engine.openPipe(d, e);
        if (p == null) { // open already, or no bandwidth ([§1.10](reference/ce-usbd.html#s1-10))
            return fail(d.isValid() ? ERROR_BUSY : ERROR_INVALID_HANDLE);
        }
        return new CePipe(d, p, drivers.handleQuarantine());
    }

    @Override
    public boolean abortPipeTransfers(UsbPipe pipe, int flags) {
        CePipe p = pipe(pipe);
        if (p == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if ((flags & ~USB_NO_WAIT) != 0) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        engine.abortPipe(p.pipe, (flags & USB_NO_WAIT) == 0);
        return true;
    }

    @Override
    public boolean resetPipe(UsbPipe pipe) {
        CePipe p = pipe(pipe);
        if (p == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        p.pipe.clearHalt();
        p.device.backend().resetEndpoint(p.pipe.address());
        return true;
    }

    /**
     * CE's {@code ClosePipe} ([§1.10](reference/ce-usbd.html#s1-10)): new transfers fail, live ones are cancelled
     * newest first and waited for, and their callbacks run. Unlike CE's USBD, which also frees them, the transfers stay
     * valid and queryable until the client closes them: a synchronous caller woken by the cancellation, or a Java-first
     * caller, can still read {@code USB_CANCELED_ERROR} from its handle.
     */
    @Override
    public boolean closePipe(UsbPipe pipe) {
        CePipe p = pipe(pipe);
        if (p == null || p == p.device.ep0) {
            return failed(ERROR_INVALID_HANDLE);
        }
        return engine.closePipe(p.pipe) || failed(ERROR_INVALID_HANDLE);
    }

    @Override
    public boolean isPipeHalted(UsbPipe pipe, boolean[] halted) {
        CePipe p = pipe(pipe);
        if (p == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (halted == null || halted.length == 0) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        halted[0] = p.pipe.isHalted();
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
        CePipe p = pipe(pipe);
        if (p == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        if (p.pipe.type() != TransferType.CONTROL
                || controlHeader == null
                || bufferPhysicalAddress != 0
                || bufferSize < 0
                || bufferSize > controlHeader.wLength()) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        return control(
                p, startAddress, notifyParameter, flags, controlHeader, buffer, bufferSize, CeRequest.Kind.DATA, null);
    }

    private UsbTransfer control(
            CePipe p,
            TransferNotifyRoutine startAddress,
            Object notifyParameter,
            int flags,
            UsbDeviceRequest setup,
            ByteBuffer buffer,
            int length,
            CeRequest.Kind kind,
            int[] out) {
        if ((flags & ~USB_ALL_FLAGS) != 0
                || ((flags & USB_IN_TRANSFER) != 0) != setup.isDeviceToHost()
                || (flags & (USB_START_ISOCH_ASAP | USB_COMPRESS_ISOCH)) != 0) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        if (!bufferHolds(buffer, length, setup.isDeviceToHost())) {
            return fail(ERROR_INVALID_USER_BUFFER);
        }
        buffer = dataStage(buffer, length);
        Transfer t = p.pipe.acquire();
        if (t == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        begin(t, startAddress, notifyParameter, flags, kind, out);
        t.backend().control(p.pipe.address(), setup.toBytes(), buffer, buffer.position(), length);
        return issue(p, t, startAddress, flags);
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
        CePipe p = pipe(pipe);
        if (p == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        boolean in = p.pipe.isIn();
        if (p.pipe.type() != type
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
        buffer = dataStage(buffer, bufferSize);
        Transfer t = p.pipe.acquire();
        if (t == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        begin(t, startAddress, notifyParameter, flags, CeRequest.Kind.DATA, null);
        t.backend()
                .bulk(
                        type,
                        p.pipe.address(),
                        buffer,
                        buffer.position(),
                        bufferSize,
                        in && (flags & USB_SHORT_TRANSFER_OK) == 0);
        return issue(p, t, startAddress, flags);
    }

    /**
     * The buffer rule of every data transfer: {@code length} bytes from the buffer's position, writable
     * when the device writes them (IN). A transfer of no bytes (a control request with {@code wLength} 0,
     * a zero-length packet) needs no buffer: any, a read-only one or none is accepted, as CE does.
     */
    private static boolean bufferHolds(ByteBuffer buffer, long length, boolean written) {
        if (length == 0) {
            return true;
        }
        return buffer != null && buffer.remaining() >= length && !(written && buffer.isReadOnly());
    }

    /** No bytes move in a zero-length stage: the backend sees an empty buffer, never null or read-only. */
    private static final ByteBuffer NO_DATA = ByteBuffer.allocate(0);

    /** What the backend gets for a checked buffer: the caller's, or {@link #NO_DATA} for no bytes. */
    private static ByteBuffer dataStage(ByteBuffer buffer, long length) {
        return length == 0 ? NO_DATA : buffer;
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
        CePipe p = pipe(pipe);
        if (p == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        EnginePipe ep = p.pipe;
        boolean in = ep.isIn();
        if (ep.type() != TransferType.ISOCHRONOUS
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
            if (len <= 0
                    // CE EHCI: every length non-zero and within the endpoint ([§1.8](reference/ce-usbd.html#s1-8))
                    || len > ep.maxBytesPerEntry()) {
                return fail(ERROR_INVALID_PARAMETER);
            }
            total += len;
        }
        if (buffer == null || !bufferHolds(buffer, total, in)) {
            return fail(ERROR_INVALID_USER_BUFFER);
        }
        Transfer t = ep.acquireScheduled(
                StartFramePolicy.CE,
                engine.now(),
                engine.startFrameLead(),
                (flags & USB_START_ISOCH_ASAP) != 0,
                false,
                startingFrame,
                frames);
        if (t == null) {
            return fail(ERROR_INVALID_HANDLE);
        }
        long start = t.scheduledStart();
        if (!StartFramePolicy.isFrame(start)) {
            engine.giveBack(t);
            return fail(ERROR_CAN_NOT_COMPLETE);
        }
        begin(t, startAddress, notifyParameter, flags, CeRequest.Kind.DATA, null);
        t.backend().isochronous(ep.address(), buffer, buffer.position(), start, ep.period(), lengths, frames);
        return issue(p, t, startAddress, flags);
    }

    /** Records CE's side of the request with the transfer (reused: nothing is allocated). */
    private static void begin(
            Transfer t, TransferNotifyRoutine callback, Object parameter, int flags, CeRequest.Kind kind, int[] out) {
        CeRequest.of(t).set(callback, parameter, flags, kind, out);
        t.begin(CeCompletion.INSTANCE, callback != null);
    }

    /**
     * Submits a prepared transfer and, for a synchronous call (no callback, no {@code USB_NO_WAIT}), waits
     * for it ([§1.7](reference/ce-usbd.html#s1-7)); returns its handle.
     */
    private UsbTransfer issue(CePipe p, Transfer t, TransferNotifyRoutine callback, int flags) {
        int gen = t.generation();
        boolean synchronous = callback == null && (flags & USB_NO_WAIT) == 0;
        if (synchronous && !engine.canBlock()) {
            // on the thread that must complete it (callbacks on the event thread): it would never complete
            engine.giveBack(t);
            return fail(ERROR_BUSY);
        }
        CeTransfer h = p.handleFor(t); // set before submission: whoever recycles the use retires it
        Engine.Submission s = engine.submit(t);
        if (s != Engine.Submission.ACCEPTED) {
            return fail(s == Engine.Submission.REFUSED ? ERROR_GEN_FAILURE : ERROR_INVALID_HANDLE);
        }
        if (synchronous) {
            boolean done = false;
            boolean interrupted = false;
            try {
                done = engine.awaitCompletion(t, gen, syncTimeoutMillis);
            } catch (InterruptedException e) {
                interrupted = true;
            }
            if (!done) {
                // CE frees the transfer and returns NULL when the synchronous wait times out
                engine.cancel(t, gen);
                engine.close(t, gen, Engine.CLOSE_WAIT_MILLIS);
                if (interrupted) {
                    Thread.currentThread().interrupt();
                    return fail(ERROR_OPERATION_ABORTED);
                }
                return fail(ERROR_TIMEOUT);
            }
        }
        h.bind(t);
        CeRequest.of(t).bind(h);
        return h;
    }

    // ---- 32..36: transfer queries, abort and close -----------------------------------------------

    @Override
    public boolean isTransferComplete(UsbTransfer transfer) {
        CeTransfer t = transfer(transfer);
        if (t == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        return t.isComplete();
    }

    @Override
    public boolean getTransferStatus(UsbTransfer transfer, int[] bytesTransferred, int[] error) {
        CeTransfer t = transfer(transfer);
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
        if (!t.isOpen()) { // another thread closed it meanwhile: what was read may be a later use's
            return failed(ERROR_INVALID_HANDLE);
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
        CeTransfer t = transfer(transfer);
        int error;
        if (t == null) {
            error = ERROR_INVALID_HANDLE;
        } else if (!t.isComplete()) {
            // not complete, or closed by another thread since the handle was checked: a closed use stays closed
            error = t.isOpen() ? ERROR_IO_INCOMPLETE : ERROR_INVALID_HANDLE;
        } else {
            int copied = t.copyIsochResults(frames, bytesTransferred, errors);
            if (copied >= 0) {
                clearIsochResults(copied, frames, bytesTransferred, errors); // entries past the transfer's frames
                return true;
            }
            error = ERROR_INVALID_HANDLE; // closed by another thread meanwhile: what was copied may be a later use's
        }
        clearIsochResults(0, frames, bytesTransferred, errors);
        return failed(error);
    }

    /** Zeroes entries {@code from .. to-1} of {@code GetIsochResults}' arrays: what a call leaves that it did not fill. */
    private static void clearIsochResults(int from, int to, int[] bytesTransferred, int[] errors) {
        if (from >= to) {
            return;
        }
        if (bytesTransferred != null) {
            Arrays.fill(bytesTransferred, from, to, 0);
        }
        if (errors != null) {
            Arrays.fill(errors, from, to, 0);
        }
    }

    @Override
    public boolean abortTransfer(UsbTransfer transfer, int flags) {
        CeTransfer t = transfer(transfer);
        if (t == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if ((flags & ~USB_NO_WAIT) != 0) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        Transfer e = t.transfer();
        int gen = t.generation();
        if (!engine.cancel(e, gen)) {
            return failed(ERROR_INVALID_HANDLE); // closed by another thread meanwhile
        }
        if ((flags & USB_NO_WAIT) != 0) {
            return true;
        }
        // without USB_NO_WAIT: until the cancellation is done, at most CE's 10 s ([§1.7](reference/ce-usbd.html#s1-7))
        boolean interrupted = false;
        boolean done;
        while (true) {
            try {
                done = engine.awaitCompletion(e, gen, Engine.ABORT_WAIT_MILLIS);
                break;
            } catch (InterruptedException ex) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return done || !engine.canBlock() || failed(ERROR_TIMEOUT);
    }

    /**
     * CE's {@code CloseTransfer} ([§1.7](reference/ce-usbd.html#s1-7)): a pending transfer is cancelled and waited for,
     * up to CE's 1000 ms, but its callback is not waited for (it may be queued behind the caller's own); it still runs
     * once. The handle is invalid from now on.
     */
    @Override
    public boolean closeTransfer(UsbTransfer transfer) {
        CeTransfer t = transfer(transfer);
        if (t == null || !engine.close(t.transfer(), t.generation(), Engine.CLOSE_WAIT_MILLIS)) {
            return failed(ERROR_INVALID_HANDLE);
        }
        return true; // the pipe retires the handle into its quarantine once the transfer is back in its pool
    }

    // ---- 37..42 ----------------------------------------------------------------------------------

    @Override
    public boolean resetDefaultPipe(UsbHandle hDevice) {
        CeDevice d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        return resetPipe(d.ep0);
    }

    @Override
    public boolean isDefaultPipeHalted(UsbHandle hDevice, boolean[] halted) {
        CeDevice d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        return isPipeHalted(d.ep0, halted);
    }

    @Override
    public boolean disableDevice(UsbHandle hDevice, boolean resetDevice, int bInterfaceNumber) {
        CeDevice d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        return d.backend().disable(resetDevice) || failed(ERROR_NOT_SUPPORTED);
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
        CeDevice d = device(hDevice);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (!change.test(d.backend())) {
            return failed(ERROR_NOT_SUPPORTED);
        }
        d.notifyDrivers(notification);
        return true;
    }

    @Override
    public boolean getClientRegistryPath(char[] registryPath, int regPathUnit, String uniqueDriverId) {
        if (registryPath == null
                || regPathUnit < 0
                || regPathUnit > registryPath.length
                || drivers.registryKey(uniqueDriverId) == null) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        String path = CeDrivers.CLIENT_DRIVERS_PATH + uniqueDriverId;
        if (path.length() + 1 > regPathUnit) {
            return failed(ERROR_INSUFFICIENT_BUFFER);
        }
        path.getChars(0, path.length(), registryPath, 0);
        registryPath[path.length()] = '\0';
        return true;
    }
}
