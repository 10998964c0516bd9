package io.github.usbd4j.internal.engine;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.usb.UsbdStatus.*;

import io.github.usbd4j.ce.TransferNotifyRoutine;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import io.github.usbd4j.usb.UsbInterface;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.function.Function;

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

    /** {@link Batch#submit}: the pipe is closed or the engine refused the transfer. */
    static final long PIPE_GONE = -4;

    /**
     * One submission of a personality's request, reused: a personality keeps its batches in a {@link Pool}
     * and takes one per call, so steady-state streaming allocates nothing per transfer (ARCHITECTURE.md
     * "Hot path and memory"). A subclass holds the personality's request state and translates the results
     * in {@link #completed()}, which ends with {@link #release()}; it drops that state in {@link #forget()}
     * whenever the batch goes back to its pool, so that a free batch keeps nothing of its last request alive.
     */
    abstract static class Batch implements TransferNotifyRoutine {
        private final DesktopIsoch iso;
        private final Pool home;
        final PipeState pipe;
        private int[] lengths = new int[0];
        int packets;
        long start;
        private long submittedMicroframe;
        TransferState transfer;

        Batch(DesktopIsoch iso, Pool home, PipeState pipe) {
            this.iso = iso;
            this.home = home;
            this.pipe = pipe;
        }

        /** Sets the packet count and returns the array for the packet lengths, at least that long. */
        int[] packets(int packets) {
            if (lengths.length < packets) {
                lengths = new int[packets];
            }
            this.packets = packets;
            return lengths;
        }

        /**
         * Schedules under the desktop policy and submits the packets set with {@link #packets(int)}. A
         * synchronous submission returns once the transfer is complete; the caller then calls
         * {@link #completed()}. Otherwise the engine calls it on completion.
         *
         * @return the start frame, or {@link PipeState#OUT_OF_WINDOW} / {@link PipeState#CANNOT_CONTINUE} /
         *     {@link PipeState#CANNOT_MEET} when no start frame was found, or {@link #PIPE_GONE}
         */
        long submit(
                boolean asap, boolean continueOnly, int startFrame, ByteBuffer buffer, int base, boolean synchronous) {
            TransferState t = pipe.acquire();
            if (t == null) {
                return PIPE_GONE;
            }
            submittedMicroframe = iso.runtime.clock.currentMicroframe();
            long s = pipe.schedule(
                    PipeState.Policy.DESKTOP,
                    iso.now(),
                    iso.runtime.startFrameLead,
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
            t.desktopBatch(this);
            int flags = (pipe.descriptor.isIn() ? USB_IN_TRANSFER : 0)
                    | USB_SHORT_TRANSFER_OK
                    | (synchronous ? 0 : USB_NO_WAIT);
            UsbTransfer r = iso.runtime.funcs.submitIsoch(
                    t, synchronous ? null : this, null, flags, s, packets, lengths, buffer, base);
            if (r == null) {
                transfer = null;
                return PIPE_GONE;
            }
            return s;
        }

        @Override
        public int notify(Object ignored) {
            completed();
            return 0;
        }

        /** Translates the results for the personality; must end with {@link #release()}. */
        abstract void completed();

        /** Drops the personality's references to the request. */
        abstract void forget();

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

        /**
         * Closes the engine's handle and gives this batch back to its pool; call once the results were
         * read, and touch the batch no more.
         */
        void release() {
            iso.runtime.funcs.closeTransfer(transfer);
            giveBack();
        }

        /** Gives back a batch whose submission was refused (or, from {@link #release()}, completed). */
        void giveBack() {
            forget();
            home.give(this);
        }
    }

    /**
     * The free batches of one owner (a WinUSB registered buffer, a WDM pipe handle): as many as that owner
     * ever had in flight at once. Its batches are all of the class its factory makes.
     */
    static final class Pool {
        private final ArrayDeque<Batch> free = new ArrayDeque<>();
        private final Function<Pool, Batch> factory;

        /** @param factory makes a new batch of this pool when none is free */
        Pool(Function<Pool, Batch> factory) {
            this.factory = factory;
        }

        Batch take() {
            Batch b;
            synchronized (this) {
                b = free.pollFirst();
            }
            return b != null ? b : factory.apply(this);
        }

        synchronized void give(Batch b) {
            free.addFirst(b);
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
