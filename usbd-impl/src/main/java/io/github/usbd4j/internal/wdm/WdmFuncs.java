package io.github.usbd4j.internal.wdm;

import static io.github.usbd4j.usb.UsbdStatus.*;
import static io.github.usbd4j.wdm.NtStatus.*;

import io.github.usbd4j.internal.desktop.DesktopIsoch;
import io.github.usbd4j.internal.engine.Engine;
import io.github.usbd4j.internal.engine.EngineDevice;
import io.github.usbd4j.internal.engine.EnginePipe;
import io.github.usbd4j.internal.engine.StartFramePolicy;
import io.github.usbd4j.usb.DeviceHandle;
import io.github.usbd4j.usb.UsbdIsoPacketDescriptor;
import io.github.usbd4j.wdm.Urb;
import io.github.usbd4j.wdm.UrbCompletionRoutine;
import io.github.usbd4j.wdm.UsbdHandle;
import io.github.usbd4j.wdm.UsbdPipeHandle;
import io.github.usbd4j.wdm.Wdm;

/** The WDM URB personality ([§3](reference/wdm.html#s3)) over the engine: URB checks and result translation only. */
public final class WdmFuncs implements Wdm {
    /** Max packets per URB at full speed ([§3.4](reference/wdm.html#s3-4)). */
    static final int MAX_PACKETS_FULL_SPEED = 255;
    /** Max packets per URB at high speed and SuperSpeed ([§3.4](reference/wdm.html#s3-4)). */
    static final int MAX_PACKETS_HIGH_SPEED = 1024;

    private final Engine engine;
    private final DesktopIsoch iso;

    /**
     * @param engine the engine
     */
    public WdmFuncs(Engine engine) {
        this.engine = engine;
        this.iso = new DesktopIsoch(engine);
    }

    private record Handle(EngineDevice device) implements UsbdHandle {}

    /**
     * A pipe handle, with the batches of the URBs submitted through it: drivers set one handle in each of
     * their URBs and resubmit them, so the batches are reused. Equal to any handle of the same pipe.
     */
    private final class Pipe implements UsbdPipeHandle {
        final EnginePipe pipe;
        final DesktopIsoch.Pool batches;

        Pipe(EnginePipe pipe) {
            this.pipe = pipe;
            this.batches = new DesktopIsoch.Pool(pool -> new UrbBatch(pool, pipe));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Pipe p && p.pipe == pipe;
        }

        @Override
        public int hashCode() {
            return pipe.hashCode();
        }
    }

    /** One submission of a URB. */
    private final class UrbBatch extends DesktopIsoch.Batch {
        Urb urb;
        UrbCompletionRoutine routine;
        Object context;

        UrbBatch(DesktopIsoch.Pool home, EnginePipe pipe) {
            super(iso, home, pipe);
        }

        @Override
        protected void completed() {
            finish(this);
        }

        @Override
        protected void forget() {
            urb = null;
            routine = null;
            context = null;
        }
    }

    private EngineDevice device(UsbdHandle h) {
        return h instanceof Handle hd ? engine.device(hd.device()) : null;
    }

    @Override
    public int usbdCreateHandle(DeviceHandle device, UsbdHandle[] usbdHandle) {
        if (usbdHandle == null || usbdHandle.length == 0) {
            return STATUS_INVALID_PARAMETER;
        }
        EngineDevice d = engine.device(device);
        if (d == null) {
            return STATUS_DEVICE_NOT_CONNECTED;
        }
        usbdHandle[0] = new Handle(d);
        return STATUS_SUCCESS;
    }

    @Override
    public int usbdIsochUrbAllocate(UsbdHandle usbdHandle, int numberOfIsochPacket, Urb[] urb) {
        if (urb == null || urb.length == 0) {
            return STATUS_INVALID_PARAMETER;
        }
        urb[0] = null;
        if (device(usbdHandle) == null || numberOfIsochPacket < 1 || numberOfIsochPacket > MAX_PACKETS_HIGH_SPEED) {
            return STATUS_INVALID_PARAMETER;
        }
        Urb u = new Urb(numberOfIsochPacket);
        u.hdrLength = Urb.getIsoUrbSize(numberOfIsochPacket);
        u.hdrFunction = Urb.URB_FUNCTION_ISOCH_TRANSFER;
        urb[0] = u;
        return STATUS_SUCCESS;
    }

    @Override
    public void usbdUrbFree(UsbdHandle usbdHandle, Urb urb) {
        // Java reclaims the memory; nothing else is held for a completed URB.
    }

    @Override
    public int selectInterface(UsbdHandle usbdHandle, int interfaceNumber, int alternateSetting) {
        EngineDevice d = device(usbdHandle);
        if (d == null) {
            return STATUS_DEVICE_NOT_CONNECTED;
        }
        return iso.selectAlternateSetting(d, interfaceNumber, alternateSetting)
                ? STATUS_SUCCESS
                : STATUS_INVALID_PARAMETER;
    }

    @Override
    public UsbdPipeHandle pipeHandle(UsbdHandle usbdHandle, int endpointAddress) {
        EngineDevice d = device(usbdHandle);
        EnginePipe p = d == null ? null : iso.isochPipe(d, endpointAddress);
        return p == null ? null : new Pipe(p);
    }

    @Override
    public int submitUrb(UsbdHandle usbdHandle, Urb urb, UrbCompletionRoutine completionRoutine, Object context) {
        if (urb == null) {
            return STATUS_INVALID_PARAMETER;
        }
        if (device(usbdHandle) == null) {
            urb.hdrStatus = USBD_STATUS_DEVICE_GONE;
            return STATUS_DEVICE_NOT_CONNECTED;
        }
        if (urb.hdrFunction != Urb.URB_FUNCTION_ISOCH_TRANSFER) {
            urb.hdrStatus = USBD_STATUS_INVALID_URB_FUNCTION;
            return STATUS_INVALID_PARAMETER;
        }
        if (!(urb.pipeHandle instanceof Pipe pipe) || !pipe.pipe.isOpen()) {
            urb.hdrStatus = USBD_STATUS_INVALID_PIPE_HANDLE;
            return STATUS_INVALID_PARAMETER;
        }
        EnginePipe p = pipe.pipe;
        UrbBatch batch = (UrbBatch) pipe.batches.take();
        if (!packetLengths(urb, p, batch) || completionRoutine == null) {
            batch.giveBack();
            urb.hdrStatus = USBD_STATUS_INVALID_PARAMETER;
            return STATUS_INVALID_PARAMETER;
        }
        urb.hdrStatus = USBD_STATUS_PENDING;
        boolean asap = (urb.transferFlags & Urb.USBD_START_ISO_TRANSFER_ASAP) != 0;
        batch.urb = urb;
        batch.routine = completionRoutine;
        batch.context = context;
        long rc = batch.submit(asap, false, urb.startFrame, urb.transferBuffer, urb.transferBuffer.position(), false);
        if (!StartFramePolicy.isFrame(rc)) {
            batch.giveBack();
        }
        if (rc == StartFramePolicy.OUT_OF_WINDOW) {
            urb.hdrStatus = USBD_STATUS_BAD_START_FRAME; // [§3.5](reference/wdm.html#s3-5): the whole URB is discarded
            return STATUS_UNSUCCESSFUL;
        }
        if (!StartFramePolicy.isFrame(rc)) {
            urb.hdrStatus = USBD_STATUS_DEVICE_GONE;
            return STATUS_DEVICE_NOT_CONNECTED;
        }
        return STATUS_PENDING;
    }

    /**
     * Sets the batch's packet lengths from the URB's descriptors; {@code false} if the URB breaks a rule
     * of [§3.2](reference/wdm.html#s3-2) or [§3.4](reference/wdm.html#s3-4).
     */
    private static boolean packetLengths(Urb urb, EnginePipe p, DesktopIsoch.Batch batch) {
        int n = urb.numberOfPackets;
        boolean highSpeed = p.device().speed().usesMicroframes();
        boolean in = (urb.transferFlags & Urb.USBD_TRANSFER_DIRECTION_IN) != 0;
        if ((urb.transferFlags & ~Urb.VALID_TRANSFER_FLAGS_MASK) != 0
                || in != p.isIn()
                || n < 1
                || n > (highSpeed ? MAX_PACKETS_HIGH_SPEED : MAX_PACKETS_FULL_SPEED)
                || !DesktopIsoch.hasDescriptors(urb.isoPacket, n)
                || (highSpeed && n % DesktopIsoch.packetsPerFrame(p) != 0)
                || urb.transferBuffer == null
                || urb.transferBufferLength <= 0
                || urb.transferBufferLength > urb.transferBuffer.remaining()
                || (in && urb.transferBuffer.isReadOnly())
                || urb.isoPacket[0].offset != 0) {
            return false;
        }
        int[] lengths = batch.packets(n);
        for (int k = 0; k < n; k++) {
            int end = k + 1 < n ? urb.isoPacket[k + 1].offset : urb.transferBufferLength;
            // packets are contiguous and in order ([§3.4](reference/wdm.html#s3-4))
            int len = end - urb.isoPacket[k].offset;
            if (len <= 0 || len > p.maxBytesPerEntry()) {
                return false;
            }
            lengths[k] = len;
        }
        return true;
    }

    /** Writes a completed batch's results into its URB, then calls the completion routine. */
    private static void finish(UrbBatch b) {
        Urb urb = b.urb;
        UrbCompletionRoutine routine = b.routine;
        Object context = b.context;
        int errors = 0;
        int late = 0;
        int bytes = 0;
        for (int k = 0; k < b.packetCount(); k++) {
            UsbdIsoPacketDescriptor d = urb.isoPacket[k];
            d.status = b.packetStatus(k);
            d.length = b.packetLength(k);
            bytes += d.length;
            if (isError(d.status)) {
                errors++;
                if (d.status == USBD_STATUS_ISO_NOT_ACCESSED_LATE) {
                    late++;
                }
            }
        }
        urb.errorCount = errors;
        urb.transferBufferLength = bytes;
        urb.startFrame = (int) b.start();
        int nt;
        if (b.cancelled()) {
            urb.hdrStatus = USBD_STATUS_CANCELED;
            nt = STATUS_CANCELLED;
            // [§3.6](reference/wdm.html#s3-6): the URB fails only when every packet did
        } else if (errors == b.packetCount()) {
            urb.hdrStatus =
                    late == b.packetCount() ? USBD_STATUS_ISO_NOT_ACCESSED_LATE : USBD_STATUS_ISOCH_REQUEST_FAILED;
            nt = STATUS_UNSUCCESSFUL;
        } else {
            urb.hdrStatus = USBD_STATUS_SUCCESS;
            nt = STATUS_SUCCESS;
        }
        b.release(); // before the routine, which may resubmit the URB with this very batch
        routine.completed(urb, nt, context);
    }

    @Override
    public int getCurrentFrameNumber(UsbdHandle usbdHandle, int[] frameNumber) {
        if (device(usbdHandle) == null) {
            return STATUS_DEVICE_NOT_CONNECTED;
        }
        if (frameNumber == null || frameNumber.length == 0) {
            return STATUS_INVALID_PARAMETER;
        }
        frameNumber[0] = (int) iso.now();
        return STATUS_SUCCESS;
    }

    @Override
    public int abortPipe(UsbdHandle usbdHandle, UsbdPipeHandle pipeHandle) {
        if (device(usbdHandle) == null || !(pipeHandle instanceof Pipe p)) {
            return STATUS_INVALID_PARAMETER;
        }
        engine.abortPipeAndSettle(p.pipe);
        return STATUS_SUCCESS;
    }
}
