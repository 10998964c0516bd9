package io.github.usbd4j.internal.engine;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.usb.UsbdStatus.*;

import io.github.usbd4j.ce.TransferNotifyRoutine;
import io.github.usbd4j.ce.UsbEndpoint;
import io.github.usbd4j.ce.UsbEndpointDescriptor;
import io.github.usbd4j.ce.UsbInterface;
import io.github.usbd4j.ce.UsbTransfer;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * What the WinUSB and WDM personalities share over the engine: opening an isochronous pipe of the current
 * alternate setting, submitting a packet batch under the desktop scheduling policy (§2.3, §3.5), and
 * turning the engine's per-frame results into {@code USBD_STATUS} values (§3.6).
 */
final class DesktopIsoch {
    private final UsbdRuntime runtime;

    DesktopIsoch(UsbdRuntime runtime) {
        this.runtime = runtime;
    }

    CeFuncs funcs() {
        return runtime.funcs;
    }

    long now() {
        return runtime.clock.currentFrame();
    }

    /** Selects an alternate setting synchronously; {@code false} if it does not exist or the request failed. */
    boolean selectAlternateSetting(DeviceState d, int interfaceNumber, int alternateSetting) {
        if (d.info.findInterface(interfaceNumber, alternateSetting) == null) {
            return false;
        }
        for (PipeState p : d.openPipes()) { // pipes of the old setting go away with it
            if (interfaceOf(d, p.address()) == interfaceNumber) {
                runtime.funcs.closePipeNow(p);
            }
        }
        UsbTransfer t = runtime.funcs.setInterface(d, null, null, 0, interfaceNumber, alternateSetting);
        if (t == null) {
            return false;
        }
        boolean ok = t.error() == USB_NO_ERROR;
        runtime.funcs.closeTransfer(t);
        return ok;
    }

    private static int interfaceOf(DeviceState d, int address) {
        for (UsbInterface i : d.info.activeConfig().interfaces()) {
            if (i.findEndpoint(address) != null) {
                return i.descriptor().bInterfaceNumber();
            }
        }
        return -1;
    }

    /** The open pipe of an isochronous endpoint of the current settings, opening it if needed; or {@code null}. */
    PipeState isochPipe(DeviceState d, int address) {
        PipeState p = d.pipe(address);
        if (p != null) {
            return p.type == io.github.usbd4j.host.spi.TransferType.ISOCHRONOUS ? p : null;
        }
        UsbEndpointDescriptor want = null;
        for (UsbInterface i : d.info.activeConfig().interfaces()) {
            UsbEndpoint e = i.findEndpoint(address);
            if (e != null
                    && e.descriptor().isIsochronous()
                    && d.currentAlternateSetting(i.descriptor().bInterfaceNumber())
                            == i.descriptor().bAlternateSetting()) {
                want = e.descriptor();
            }
        }
        return want == null ? null : (PipeState) runtime.funcs.openPipe(d, want);
    }

    /** Packets per 1 ms frame on this pipe: {@code 8 / period} at high speed, 1 at full speed. */
    static int packetsPerFrame(PipeState p) {
        return Math.max(1, p.device.speed.intervalsPerFrame() / p.period);
    }

    /**
     * One submitted batch: schedules it under the desktop policy and translates its results on completion.
     */
    final class Batch implements TransferNotifyRoutine {
        final PipeState pipe;
        final int packets;
        final Consumer<Batch> onDone;
        long start;
        long submittedAt;
        long submittedMicroframe;
        TransferState transfer;

        Batch(PipeState pipe, int packets, Consumer<Batch> onDone) {
            this.pipe = pipe;
            this.packets = packets;
            this.onDone = onDone;
        }

        /**
         * Schedules and submits.
         *
         * @return 0, or {@link PipeState#OUT_OF_WINDOW} / {@link PipeState#CANNOT_CONTINUE} /
         *     {@link PipeState#CANNOT_MEET} when no start frame was found, or 1 when the pipe is gone
         */
        long submit(
                boolean asap,
                boolean continueOnly,
                int startFrame,
                int[] lengths,
                ByteBuffer buffer,
                int base,
                boolean synchronous) {
            TransferState t = pipe.acquire();
            if (t == null) {
                return 1;
            }
            submittedAt = now();
            submittedMicroframe = runtime.clock.currentMicroframe();
            long s = pipe.schedule(
                    PipeState.Policy.DESKTOP,
                    submittedAt,
                    runtime.startFrameLead,
                    asap,
                    continueOnly,
                    startFrame,
                    packets);
            if (s < 0) {
                pipe.release(t);
                return s;
            }
            start = s;
            transfer = t;
            int flags = (pipe.descriptor.isIn() ? USB_IN_TRANSFER : 0)
                    | USB_SHORT_TRANSFER_OK
                    | (synchronous ? 0 : USB_NO_WAIT);
            UsbTransfer r = runtime.funcs.submitIsoch(
                    t, synchronous ? null : this, null, flags, s, packets, lengths, buffer, base);
            if (r == null) {
                transfer = null;
                return 1;
            }
            if (synchronous) {
                onDone.accept(this);
            }
            return 0;
        }

        @Override
        public int notify(Object ignored) {
            onDone.accept(this);
            return 0;
        }

        /** The frame after the last one this batch uses. */
        long endFrame() {
            return start + pipe.framesUsed(packets);
        }

        /** Whether packet {@code k}'s bus interval had passed when the batch was submitted (§2.3, §3.5). */
        boolean wasLate(int k) {
            int microframesPerInterval = 8 / pipe.device.speed.intervalsPerFrame();
            return start * 8 + (long) k * pipe.period * microframesPerInterval < submittedMicroframe;
        }

        /** The {@code USBD_STATUS} of packet {@code k} (§3.6). */
        int packetStatus(int k) {
            return usbdStatus(transfer.frameError(k), wasLate(k));
        }

        boolean cancelled() {
            return transfer.error() == USB_CANCELED_ERROR;
        }

        /** Closes the engine's handle; call once the results were read. */
        void release() {
            runtime.funcs.closeTransfer(transfer);
        }
    }

    /** CE frame code to {@code USBD_STATUS}: codes 1..0x0D mirror each other (§3.6). */
    static int usbdStatus(int usbError, boolean late) {
        if (usbError == USB_NO_ERROR) {
            return USBD_STATUS_SUCCESS;
        }
        if (usbError >= USB_CRC_ERROR && usbError <= USB_BUFFER_UNDERRUN_ERROR) {
            return 0xC0000000 | usbError;
        }
        return switch (usbError) {
            case USB_NOT_ACCESSED_ERROR, USB_NOT_ACCESSED_ALT ->
                late ? USBD_STATUS_ISO_NOT_ACCESSED_LATE : USBD_STATUS_ISO_NOT_ACCESSED_BY_HW;
            case USB_CANCELED_ERROR, USB_NOT_COMPLETE_ERROR -> USBD_STATUS_CANCELED;
            case USB_ISOCH_ERROR -> USBD_STATUS_ISO_TD_ERROR;
            default -> USBD_STATUS_STATUS_NOT_MAPPED;
        };
    }
}
