package io.github.usbd4j.internal.winusb;

import static io.github.usbd4j.usb.UsbdStatus.USBD_STATUS_SUCCESS;
import static io.github.usbd4j.win32.Win32.*;

import io.github.usbd4j.descriptor.Endpoints;
import io.github.usbd4j.internal.desktop.DesktopIsoch;
import io.github.usbd4j.internal.engine.Engine;
import io.github.usbd4j.internal.engine.EngineDevice;
import io.github.usbd4j.internal.engine.EnginePipe;
import io.github.usbd4j.internal.engine.StartFramePolicy;
import io.github.usbd4j.usb.DeviceHandle;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.usb.UsbdIsoPacketDescriptor;
import io.github.usbd4j.win32.Win32;
import io.github.usbd4j.winusb.Overlapped;
import io.github.usbd4j.winusb.WinUsb;
import io.github.usbd4j.winusb.WinUsbInterfaceHandle;
import io.github.usbd4j.winusb.WinUsbIsochBufferHandle;
import io.github.usbd4j.winusb.WinUsbPipeInformationEx;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The WinUSB personality ([§2](reference/winusb.html#s2)) over the engine: argument checks and result translation only.
 */
public final class WinUsbFuncs implements WinUsb {
    private static final long WAIT_LIMIT_MILLIS = DesktopIsoch.WAIT_LIMIT_MILLIS;

    private final Engine engine;
    private final DesktopIsoch iso;

    /**
     * @param engine the engine
     */
    public WinUsbFuncs(Engine engine) {
        this.engine = engine;
        this.iso = new DesktopIsoch(engine);
    }

    /** An interface of a device, as {@code WinUsb_Initialize} returns it; {@code WinUsb_Free} invalidates it. */
    private static final class Iface implements WinUsbInterfaceHandle {
        final EngineDevice device;
        final int interfaceNumber;
        /** Set by {@code WinUsb_Free} (guarded by this for the setting; read without). */
        volatile boolean freed;

        Iface(EngineDevice device, int interfaceNumber) {
            this.device = device;
            this.interfaceNumber = interfaceNumber;
        }
    }

    /** A registered buffer, with the batches of the I/Os on it: pending ones, and free ones to reuse. */
    private final class Registered implements WinUsbIsochBufferHandle {
        final EnginePipe pipe;
        final ByteBuffer buffer;
        final int length;
        /** The I/Os accepted on it and not yet signalled (guarded by this, which their signalling notifies). */
        final List<Io> pending = new ArrayList<>();

        final DesktopIsoch.Pool batches = new DesktopIsoch.Pool(pool -> new Io(pool, this));
        /** Cleared by {@code WinUsb_UnregisterIsochBuffer} (under this; read without for a quick refusal). */
        volatile boolean valid = true;

        /** Whether no accepted I/O on it is still to be signalled. */
        synchronized boolean isSettled() {
            return pending.isEmpty();
        }

        Registered(EnginePipe pipe, ByteBuffer buffer, int length) {
            this.pipe = pipe;
            this.buffer = buffer;
            this.length = length;
        }
    }

    /** One read or write on a registered buffer. */
    private final class Io extends DesktopIsoch.Batch {
        final Registered registered;
        UsbdIsoPacketDescriptor[] descriptors;
        Overlapped overlapped;

        Io(DesktopIsoch.Pool home, Registered registered) {
            super(iso, home, registered.pipe);
            this.registered = registered;
        }

        /**
         * An overlapped I/O is signalled where it completes, not in its callback: a waiter ({@code
         * GetOverlappedResult}, {@code UnregisterIsochBuffer}), in a callback too, must not wait for a callback
         * queued behind its own.
         */
        @Override
        protected void onComplete() {
            Overlapped o = overlapped;
            if (o == null) { // synchronous: complete for an unregistration; its caller reads the results
                settled(this);
                return;
            }
            CompletableFuture<Overlapped> future = o.complete(results(this));
            settled(this); // before any client code runs here: an unregistration waits for no client code
            if (future != null) {
                Engine.beginClientCode(); // the future's dependents run here
                try {
                    future.complete(o);
                } finally {
                    Engine.endClientCode();
                }
            }
        }

        @Override
        protected void completed() {
            Overlapped o = overlapped;
            release(); // before the callback, which may issue the next I/O with this very batch
            o.runCallback();
        }

        @Override
        protected void forget() {
            descriptors = null;
            overlapped = null;
        }
    }

    /**
     * The condition "this OVERLAPPED's I/O has completed" for a wait that runs the bus or delivers completions
     * ({@link Engine#runUntil}): one reusable object per thread, so that waiting allocates nothing.
     */
    private static final class OverlappedDone implements BooleanSupplier {
        private static final ThreadLocal<OverlappedDone> OF_THREAD = ThreadLocal.withInitial(OverlappedDone::new);
        private Overlapped overlapped;

        @Override
        public boolean getAsBoolean() {
            return overlapped.hasOverlappedIoCompleted();
        }

        /** Runs the bus or delivers completions until the I/O completes or the limit passes. */
        static void await(Engine engine, Overlapped overlapped, long millis) {
            OverlappedDone done = OF_THREAD.get();
            Overlapped outer = done.overlapped; // a wait in a callback that runs inside another wait
            done.overlapped = overlapped;
            try {
                engine.runUntil(done, millis);
            } finally {
                done.overlapped = outer;
            }
        }
    }

    private static boolean failed(int error) {
        Win32.setLastError(error);
        return false;
    }

    private Iface iface(WinUsbInterfaceHandle h) {
        return h instanceof Iface i && !i.freed && engine.device(i.device) != null ? i : null;
    }

    private static List<Integer> interfaceNumbers(EngineDevice d) {
        TreeSet<Integer> n = new TreeSet<>();
        for (UsbInterface i : d.info().activeConfig().interfaces()) {
            n.add(i.descriptor().bInterfaceNumber());
        }
        return List.copyOf(n);
    }

    @Override
    public boolean initialize(DeviceHandle device, WinUsbInterfaceHandle[] interfaceHandle) {
        EngineDevice d = engine.device(device);
        if (d == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (interfaceHandle == null
                || interfaceHandle.length == 0
                || interfaceNumbers(d).isEmpty()) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        interfaceHandle[0] = new Iface(d, interfaceNumbers(d).get(0));
        return true;
    }

    @Override
    public boolean getAssociatedInterface(
            WinUsbInterfaceHandle interfaceHandle, int associatedInterfaceIndex, WinUsbInterfaceHandle[] out) {
        Iface i = iface(interfaceHandle);
        if (i == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (out == null || out.length == 0 || associatedInterfaceIndex < 0) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        List<Integer> numbers = interfaceNumbers(i.device);
        int next = numbers.indexOf(i.interfaceNumber) + 1;
        if (associatedInterfaceIndex >= numbers.size() - next) { // not next + index: that overflows for a huge index
            return failed(ERROR_NO_MORE_ITEMS);
        }
        out[0] = new Iface(i.device, numbers.get(next + associatedInterfaceIndex));
        return true;
    }

    /** A freed handle answers {@code ERROR_INVALID_HANDLE} from then on; buffers registered through it stay. */
    @Override
    public boolean free(WinUsbInterfaceHandle interfaceHandle) {
        if (!(interfaceHandle instanceof Iface i)) {
            return failed(ERROR_INVALID_HANDLE);
        }
        synchronized (i) {
            if (i.freed) {
                return failed(ERROR_INVALID_HANDLE);
            }
            i.freed = true;
        }
        return true;
    }

    @Override
    public boolean setCurrentAlternateSetting(WinUsbInterfaceHandle interfaceHandle, int settingNumber) {
        Iface i = iface(interfaceHandle);
        if (i == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        return iso.selectAlternateSetting(i.device, i.interfaceNumber, settingNumber)
                || failed(ERROR_INVALID_PARAMETER);
    }

    @Override
    public boolean queryPipeEx(
            WinUsbInterfaceHandle interfaceHandle,
            int alternateSettingNumber,
            int pipeIndex,
            WinUsbPipeInformationEx[] out) {
        Iface i = iface(interfaceHandle);
        if (i == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        UsbInterface alt = i.device.info().findInterface(i.interfaceNumber, alternateSettingNumber);
        if (alt == null || out == null || out.length == 0) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        if (pipeIndex < 0 || pipeIndex >= alt.endpoints().size()) {
            return failed(ERROR_NO_MORE_ITEMS);
        }
        UsbEndpoint e = alt.endpoints().get(pipeIndex);
        var d = e.descriptor();
        if (Endpoints.problem(d, i.device.speed()) != null) { // e.g. isochronous on a low-speed device
            return failed(ERROR_INVALID_PARAMETER);
        }
        boolean periodic =
                d.isIsochronous() || d.transferType() == io.github.usbd4j.usb.Usb100.USB_ENDPOINT_TYPE_INTERRUPT;
        out[0] = new WinUsbPipeInformationEx(
                d.transferType(),
                d.bEndpointAddress(),
                d.wMaxPacketSize(),
                d.bInterval(),
                periodic ? Endpoints.bytesPerServiceInterval(e, i.device.speed()) : 0);
        return true;
    }

    @Override
    public boolean registerIsochBuffer(
            WinUsbInterfaceHandle interfaceHandle,
            int pipeId,
            ByteBuffer buffer,
            int bufferLength,
            WinUsbIsochBufferHandle[] isochBufferHandle) {
        Iface i = iface(interfaceHandle);
        if (i == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (buffer == null
                || bufferLength <= 0
                || bufferLength > buffer.capacity()
                || isochBufferHandle == null
                || isochBufferHandle.length == 0) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        EnginePipe p = iso.isochPipe(i.device, pipeId);
        if (p == null || (p.isIn() && buffer.isReadOnly())) { // the device writes an IN pipe's buffer
            return failed(ERROR_INVALID_PARAMETER);
        }
        isochBufferHandle[0] = new Registered(p, buffer, bufferLength);
        return true;
    }

    @Override
    public boolean unregisterIsochBuffer(WinUsbIsochBufferHandle isochBufferHandle) {
        if (!(isochBufferHandle instanceof Registered r)) {
            return failed(ERROR_INVALID_HANDLE);
        }
        synchronized (r) { // one unregistration wins; an I/O is accepted before it, or refused
            if (!r.valid) {
                return failed(ERROR_INVALID_HANDLE);
            }
            r.valid = false;
        }
        // [§2.3](reference/winusb.html#s2-3): blocks until the transfers on the buffer have completed, that is until
        // their OVERLAPPEDs are signalled. The wait is for the signalling itself (settled() empties pending), not for
        // the I/Os' transfers: an I/O accepted on another thread may not have reached the engine yet, and where this
        // thread runs the bus or delivers completions, nothing else would complete it
        if (engine.waitsByRunning()) {
            engine.runUntil(r::isSettled, WAIT_LIMIT_MILLIS); // false only where it cannot wait: it returns anyway
            return true;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_LIMIT_MILLIS);
        try {
            synchronized (r) {
                long left;
                while (!r.pending.isEmpty() && (left = deadline - System.nanoTime()) > 0) {
                    TimeUnit.NANOSECONDS.timedWait(r, left);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(ERROR_OPERATION_ABORTED);
        }
        return true;
    }

    /** An overlapped I/O was signalled: it no longer holds up its buffer's unregistration. */
    private static void settled(Io b) {
        Registered r = b.registered;
        synchronized (r) {
            r.pending.remove(b);
            r.notifyAll();
        }
    }

    @Override
    public boolean writeIsochPipe(
            WinUsbIsochBufferHandle bufferHandle, int offset, int length, int[] frameNumber, Overlapped overlapped) {
        if (frameNumber == null || frameNumber.length == 0) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        return transfer(bufferHandle, offset, length, false, false, frameNumber, false, 0, null, overlapped);
    }

    @Override
    public boolean readIsochPipe(
            WinUsbIsochBufferHandle bufferHandle,
            int offset,
            int length,
            int[] frameNumber,
            int numberOfPackets,
            UsbdIsoPacketDescriptor[] isoPacketDescriptors,
            Overlapped overlapped) {
        if (frameNumber == null || frameNumber.length == 0) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        return transfer(
                bufferHandle,
                offset,
                length,
                false,
                false,
                frameNumber,
                true,
                numberOfPackets,
                isoPacketDescriptors,
                overlapped);
    }

    @Override
    public boolean writeIsochPipeAsap(
            WinUsbIsochBufferHandle bufferHandle,
            int offset,
            int length,
            boolean continueStream,
            Overlapped overlapped) {
        return transfer(bufferHandle, offset, length, true, continueStream, null, false, 0, null, overlapped);
    }

    @Override
    public boolean readIsochPipeAsap(
            WinUsbIsochBufferHandle bufferHandle,
            int offset,
            int length,
            boolean continueStream,
            int numberOfPackets,
            UsbdIsoPacketDescriptor[] isoPacketDescriptors,
            Overlapped overlapped) {
        return transfer(
                bufferHandle,
                offset,
                length,
                true,
                continueStream,
                null,
                true,
                numberOfPackets,
                isoPacketDescriptors,
                overlapped);
    }

    /**
     * The one path of the four read/write calls: [§2.3](reference/winusb.html#s2-3) and
     * [§2.4](reference/winusb.html#s2-4) checks, then the engine.
     */
    private boolean transfer(
            WinUsbIsochBufferHandle bufferHandle,
            int offset,
            int length,
            boolean asap,
            boolean continueStream,
            int[] frameNumber,
            boolean read,
            int numberOfPackets,
            UsbdIsoPacketDescriptor[] descriptors,
            Overlapped overlapped) {
        if (!(bufferHandle instanceof Registered r) || !r.valid || !r.pipe.isOpen()) { // quick; checked again below
            return failed(ERROR_INVALID_HANDLE);
        }
        EnginePipe p = r.pipe;
        int perPacket = p.maxBytesPerEntry();
        // whole 1 ms frames ([§2.4](reference/winusb.html#s2-4))
        int quantum = perPacket * DesktopIsoch.packetsPerFrame(p);
        if (read != p.isIn()
                || (read && r.buffer.isReadOnly())
                || offset < 0
                || length <= 0
                || (long) offset + length > r.length
                || length % quantum != 0) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        int packets = length / perPacket;
        if (read && (numberOfPackets != packets || !DesktopIsoch.hasDescriptors(descriptors, packets))) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        if (overlapped != null && !overlapped.begin()) {
            return failed(ERROR_INVALID_PARAMETER); // an OVERLAPPED still in use
        }
        Io io = (Io) r.batches.take();
        Arrays.fill(io.packets(packets), 0, packets, perPacket);
        io.descriptors = descriptors;
        io.overlapped = overlapped;
        synchronized (r) {
            if (r.valid) { // else unregistered meanwhile: it does not wait for this I/O, so it is refused
                r.pending.add(io);
            } else {
                io.giveBack();
                io = null;
            }
        }
        long start = io == null
                ? DesktopIsoch.PIPE_GONE
                : io.submit(
                        asap,
                        continueStream,
                        frameNumber == null ? 0 : frameNumber[0],
                        r.buffer,
                        offset,
                        overlapped == null);
        if (!StartFramePolicy.isFrame(start)) {
            int error = start == StartFramePolicy.CANNOT_CONTINUE
                    ? ERROR_GEN_FAILURE
                    : start == DesktopIsoch.PIPE_GONE ? ERROR_INVALID_HANDLE : ERROR_INVALID_PARAMETER;
            if (io != null) {
                synchronized (r) {
                    r.pending.remove(io);
                    r.notifyAll();
                }
                io.giveBack();
            }
            if (overlapped != null) {
                overlapped.refuse(error); // no I/O was started: nothing is signalled
            }
            return failed(error);
        }
        if (frameNumber != null) {
            // the frame after the last one used ([§2.3](reference/winusb.html#s2-3))
            frameNumber[0] = (int) (start + p.framesUsed(packets));
        }
        if (overlapped != null) {
            return failed(ERROR_IO_PENDING);
        }
        int error = results(io); // the synchronous I/O is complete (and settled where it completed)
        io.release();
        return error == ERROR_SUCCESS || failed(error);
    }

    /** Translates a completed I/O into its descriptors and a Win32 result. */
    private static int results(Io b) {
        UsbdIsoPacketDescriptor[] descriptors = b.descriptors;
        boolean read = b.pipe().isIn();
        int perPacket = b.pipe().maxBytesPerEntry();
        int error = ERROR_SUCCESS;
        boolean anyFailed = false;
        for (int k = 0; k < b.packetCount(); k++) {
            int status = b.packetStatus(k);
            anyFailed |= status != USBD_STATUS_SUCCESS;
            if (read) {
                descriptors[k].offset = k * perPacket;
                descriptors[k].length = b.packetLength(k);
                descriptors[k].status = status;
            }
        }
        if (b.cancelled()) {
            error = ERROR_OPERATION_ABORTED;
        } else if (!read && anyFailed) {
            error = ERROR_GEN_FAILURE; // a write has no descriptors: any packet not sent fails the I/O
        }
        return error;
    }

    @Override
    public boolean getCurrentFrameNumber(
            WinUsbInterfaceHandle interfaceHandle, int[] currentFrameNumber, long[] timeStamp) {
        if (iface(interfaceHandle) == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (currentFrameNumber == null
                || currentFrameNumber.length == 0
                || timeStamp == null
                || timeStamp.length == 0) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        long frame = iso.now();
        currentFrameNumber[0] = (int) frame;
        timeStamp[0] = frame * 1_000_000L; // bus time in ns, the stand-in for QueryPerformanceCounter
        return true;
    }

    @Override
    public boolean getAdjustedFrameNumber(int[] currentFrameNumber, long timeStamp) {
        if (currentFrameNumber == null || currentFrameNumber.length == 0) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        long nowNanos = iso.now() * 1_000_000L;
        currentFrameNumber[0] += (int) Math.max(0, (nowNanos - timeStamp) / 1_000_000L);
        return true;
    }

    @Override
    public boolean getOverlappedResult(
            WinUsbInterfaceHandle interfaceHandle,
            Overlapped overlapped,
            int[] numberOfBytesTransferred,
            boolean wait) {
        if (iface(interfaceHandle) == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (overlapped == null) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        if (!overlapped.hasOverlappedIoCompleted()) {
            if (!wait) {
                return failed(ERROR_IO_INCOMPLETE);
            }
            if (engine.waitsByRunning()) { // a callback on the event thread delivers what it waits for
                OverlappedDone.await(engine, overlapped, WAIT_LIMIT_MILLIS);
            } else {
                overlapped.completion().join();
            }
        }
        if (!overlapped.hasOverlappedIoCompleted()) {
            return failed(ERROR_IO_INCOMPLETE);
        }
        if (numberOfBytesTransferred != null && numberOfBytesTransferred.length > 0) {
            numberOfBytesTransferred[0] = 0; // always 0 for isochronous I/O ([§2.3](reference/winusb.html#s2-3))
        }
        return overlapped.internal() == ERROR_SUCCESS || failed(overlapped.internal());
    }

    @Override
    public boolean abortPipe(WinUsbInterfaceHandle interfaceHandle, int pipeId) {
        Iface i = iface(interfaceHandle);
        if (i == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        EnginePipe p = i.device.pipe(pipeId);
        if (p == null) {
            return failed(ERROR_INVALID_PARAMETER);
        }
        engine.abortPipeAndSettle(p);
        return true;
    }
}
