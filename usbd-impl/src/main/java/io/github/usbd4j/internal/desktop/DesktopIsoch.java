package io.github.usbd4j.internal.desktop;

import static io.github.usbd4j.usb.UsbdStatus.*;

import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.internal.engine.Engine;
import io.github.usbd4j.internal.engine.EngineDevice;
import io.github.usbd4j.internal.engine.EnginePipe;
import io.github.usbd4j.internal.engine.StartFramePolicy;
import io.github.usbd4j.internal.engine.Transfer;
import io.github.usbd4j.internal.engine.TransferOwner;
import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.usb.UsbdIsoPacketDescriptor;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * What the WinUSB and WDM personalities share over the engine, and neither personality alone: selecting an
 * alternate setting, opening an isochronous pipe of the current setting, submitting a packet batch under the
 * desktop scheduling policy ([§2.3](reference/winusb.html#s2-3), [§3.5](reference/wdm.html#s3-5)), and turning the
 * engine's per-packet results into {@code USBD_STATUS} values ([§3.6](reference/wdm.html#s3-6)).
 */
public final class DesktopIsoch {
    /** How long the alternate-setting request may take (bus time on a virtual clock). */
    private static final long CONTROL_WAIT_MILLIS = 4000;

    /** How long a blocking wait may run: a day of bus time, far beyond any transfer. */
    public static final long WAIT_LIMIT_MILLIS = 86_400_000L;

    private final Engine engine;

    /**
     * @param engine the engine
     */
    public DesktopIsoch(Engine engine) {
        this.engine = engine;
    }

    /** The engine. */
    public Engine engine() {
        return engine;
    }

    /** The current frame. */
    public long now() {
        return engine.now();
    }

    /**
     * Selects an alternate setting synchronously: the pipes of the interface's old setting are closed first.
     *
     * @param d the device
     * @param interfaceNumber the interface
     * @param alternateSetting the setting
     * @return {@code false} if it does not exist or the device refused it
     */
    public boolean selectAlternateSetting(EngineDevice d, int interfaceNumber, int alternateSetting) {
        if (d.info().findInterface(interfaceNumber, alternateSetting) == null) {
            return false;
        }
        for (EnginePipe p : d.openPipesNewestFirst()) { // pipes of the old setting go away with it
            if (interfaceOf(d, p.address()) == interfaceNumber) {
                engine.closePipe(p);
            }
        }
        UsbDeviceRequest r = new UsbDeviceRequest(
                Usb100.USB_REQUEST_HOST_TO_DEVICE | Usb100.USB_REQUEST_FOR_INTERFACE,
                Usb100.USB_REQUEST_SET_INTERFACE,
                alternateSetting,
                interfaceNumber,
                0);
        return engine.controlSync(d, r, null, CONTROL_WAIT_MILLIS) == PacketStatus.OK;
    }

    private static int interfaceOf(EngineDevice d, int address) {
        for (UsbInterface i : d.info().activeConfig().interfaces()) {
            if (i.findEndpoint(address) != null) {
                return i.descriptor().bInterfaceNumber();
            }
        }
        return -1;
    }

    /**
     * The open pipe of an isochronous endpoint of the current settings, opening it if needed.
     *
     * @param d the device
     * @param address the endpoint address
     * @return the pipe, or {@code null} if there is no such endpoint, it is not isochronous, or it is busy
     */
    public EnginePipe isochPipe(EngineDevice d, int address) {
        EnginePipe p = d.pipe(address);
        if (p != null) {
            return p.type() == TransferType.ISOCHRONOUS ? p : null;
        }
        UsbEndpoint want = null;
        for (UsbInterface i : d.info().activeConfig().interfaces()) {
            UsbEndpoint e = i.findEndpoint(address);
            if (e != null
                    && e.descriptor().isIsochronous()
                    && d.currentAlternateSetting(i.descriptor().bInterfaceNumber())
                            == i.descriptor().bAlternateSetting()) {
                want = e;
            }
        }
        return want == null ? null : engine.openPipe(d, want);
    }

    /**
     * Whether {@code descriptors} holds {@code packets} descriptors to write results into: the array is there, long
     * enough, and none of its first {@code packets} entries is {@code null} (a Java array of descriptors can hold a
     * hole that a C array cannot; found here, it is a bad parameter rather than a failure when the I/O completes).
     *
     * @param descriptors the caller's descriptors
     * @param packets how many the I/O uses
     */
    public static boolean hasDescriptors(UsbdIsoPacketDescriptor[] descriptors, int packets) {
        if (descriptors == null || descriptors.length < packets) {
            return false;
        }
        for (int k = 0; k < packets; k++) {
            if (descriptors[k] == null) {
                return false;
            }
        }
        return true;
    }

    /**
     * Packets per 1 ms frame on this pipe: {@code 8 / period} at high speed, 1 at full speed.
     *
     * @param p the pipe
     */
    public static int packetsPerFrame(EnginePipe p) {
        return Math.max(1, p.device().speed().intervalsPerFrame() / p.period());
    }

    /**
     * {@link Batch#submit}: the pipe is closed or the engine refused the transfer; a code beside {@link
     * StartFramePolicy}'s, not a frame ({@link StartFramePolicy#isFrame}).
     */
    public static final long PIPE_GONE = Long.MIN_VALUE + 8;

    /**
     * One submission of a personality's request, reused: a personality keeps its batches in a {@link Pool}
     * and takes one per call, so steady-state streaming allocates nothing per transfer. A subclass holds the
     * personality's request state and translates the results in {@link #completed()}, which ends with
     * {@link #release()}; it drops that state in {@link #forget()} whenever the batch goes back to its pool,
     * so that a free batch keeps nothing of its last request alive. A batch is its transfer's owner: the
     * engine calls {@link #callback} on completion.
     */
    public abstract static class Batch implements TransferOwner {
        private final DesktopIsoch iso;
        private final Pool home;
        /** The pipe its transfers go to. */
        protected final EnginePipe pipe;

        private int[] lengths = new int[0];
        private int packets;
        private long start;
        private long submittedMicroframe;
        private boolean asap;
        /** The current use; volatile: the thread that completes it releases it. */
        private volatile Transfer transfer;

        private int generation;
        /** Counts this batch's submissions. */
        private int use;
        /** The submission whose {@link #completed(Transfer)} has returned; a synchronous one waits for it. */
        private volatile int completedUse;

        /**
         * @param iso the shared desktop part
         * @param home the pool it returns to
         * @param pipe the pipe
         */
        protected Batch(DesktopIsoch iso, Pool home, EnginePipe pipe) {
            this.iso = iso;
            this.home = home;
            this.pipe = pipe;
        }

        /**
         * Sets the packet count and returns the array for the packet lengths, at least that long.
         *
         * @param packets the number of packets
         */
        public int[] packets(int packets) {
            if (lengths.length < packets) {
                lengths = new int[packets];
            }
            this.packets = packets;
            return lengths;
        }

        /** The pipe its transfers go to. */
        public EnginePipe pipe() {
            return pipe;
        }

        /** The number of packets. */
        public int packetCount() {
            return packets;
        }

        /** The frame the batch was scheduled to start at. */
        public long start() {
            return start;
        }

        /**
         * Schedules under the desktop policy and submits the packets set with {@link #packets(int)}. A
         * synchronous submission returns once the transfer is complete; the caller then calls
         * {@link #completed()}. Otherwise the engine calls it on completion.
         *
         * @param asap the stack chooses the start frame
         * @param continueOnly with ASAP: only a gap-less continuation of the stream will do
         * @param startFrame the caller's start frame (ignored with ASAP)
         * @param buffer the data
         * @param base where the data starts in {@code buffer}
         * @param synchronous wait for completion here
         * @return the start frame, or {@link StartFramePolicy#OUT_OF_WINDOW} /
         *     {@link StartFramePolicy#CANNOT_CONTINUE} when no start frame was found, or {@link #PIPE_GONE}
         */
        public long submit(
                boolean asap, boolean continueOnly, int startFrame, ByteBuffer buffer, int base, boolean synchronous) {
            Engine engine = iso.engine;
            long microframe = engine.clock().currentMicroframe(); // one clock read: its frame is "now"
            Transfer t = pipe.acquireScheduled(
                    StartFramePolicy.DESKTOP,
                    microframe / 8,
                    engine.startFrameLead(),
                    asap,
                    continueOnly,
                    startFrame,
                    packets);
            if (t == null) {
                return PIPE_GONE;
            }
            submittedMicroframe = microframe;
            long s = t.scheduledStart();
            if (!StartFramePolicy.isFrame(s)) {
                engine.giveBack(t);
                return s;
            }
            start = s;
            this.asap = asap;
            generation = t.generation();
            use++;
            transfer = t;
            t.begin(this, !synchronous);
            t.backend().isochronous(pipe.address(), buffer, base, s, pipe.period(), lengths, packets);
            if (engine.submit(t) != Engine.Submission.ACCEPTED) {
                transfer = null;
                return PIPE_GONE;
            }
            if (synchronous) {
                boolean interrupted = false;
                boolean complete;
                while (true) {
                    try {
                        complete = engine.awaitCompletion(t, generation, WAIT_LIMIT_MILLIS);
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                // complete, but the completing thread may still be in completed() (no client code runs there for a
                // synchronous call): the caller releases this batch to its pool, so wait until that thread has left
                // it, or it would finish the next use's request (it takes microseconds; ten seconds bound a stalled
                // one)
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (complete && completedUse != use && System.nanoTime() - until < 0) {
                    Thread.onSpinWait();
                }
            }
            return s;
        }

        @Override
        public void completed(Transfer t) {
            try {
                onComplete();
            } finally {
                completedUse = use; // even if it failed: a synchronous submitter waits for this
            }
        }

        @Override
        public void callback(Transfer t) {
            completed();
        }

        /**
         * The transfer is complete, on the thread that completed it, before its callback is queued (the transfer
         * cannot be recycled meanwhile): what a waiter must see without waiting for a callback. Nothing by default.
         */
        protected void onComplete() {}

        // ---- for a capture: what the WinUSB or WDM caller asked for and is told ----------------------

        @Override
        public boolean isAsap(Transfer t) {
            return asap;
        }

        /** Desktop isochronous packets may be short: a short packet is no error ([§3.6](reference/wdm.html#s3-6)). */
        @Override
        public boolean shortIsError(Transfer t) {
            return false;
        }

        /**
         * {@code USBD_STATUS:} the packets that did not succeed, with the late/not-accessed distinction
         * ([§3.6](reference/wdm.html#s3-6)).
         */
        @Override
        public void describeStatus(Transfer t, StringBuilder out) {
            out.append("USBD_STATUS:");
            boolean cancelled = t.wasCancelled();
            boolean any = false;
            for (int k = 0; k < t.backend().packets(); k++) {
                int status = usbdStatus(t.backend().packetStatus(k), cancelled, wasLate(k));
                if (status != USBD_STATUS_SUCCESS) {
                    out.append(any ? ", " : " packets ").append(k).append('=').append(name(status));
                    any = true;
                }
            }
            if (!any) {
                out.append(" every packet USBD_STATUS_SUCCESS");
            }
        }

        /**
         * Translates the results for the personality, in the transfer's callback (or, synchronously, on the issuing
         * thread); must end with {@link #release()}.
         */
        protected abstract void completed();

        /** Drops the personality's references to the request. */
        protected abstract void forget();

        /**
         * Whether packet {@code k}'s bus interval had passed when the batch was submitted
         * ([§2.3](reference/winusb.html#s2-3), [§3.5](reference/wdm.html#s3-5)).
         *
         * @param k the packet
         */
        public boolean wasLate(int k) {
            int microframesPerInterval = 8 / pipe.device().speed().intervalsPerFrame();
            return start * 8 + (long) k * pipe.period() * microframesPerInterval < submittedMicroframe;
        }

        /**
         * The {@code USBD_STATUS} of packet {@code k} ([§3.6](reference/wdm.html#s3-6)).
         *
         * @param k the packet
         */
        public int packetStatus(int k) {
            return usbdStatus(transfer.backend().packetStatus(k), transfer.wasCancelled(), wasLate(k));
        }

        /**
         * Bytes packet {@code k} carried.
         *
         * @param k the packet
         */
        public int packetLength(int k) {
            return transfer.backend().packetActual(k);
        }

        /** The batch was cut short (aborted, or its device left). */
        public boolean cancelled() {
            return transfer.wasCancelled();
        }

        /**
         * Closes the engine's transfer and gives this batch back to its pool; call once the results were
         * read, and touch the batch no more.
         */
        public void release() {
            Transfer t = transfer;
            transfer = null;
            iso.engine.close(t, generation, 0);
            giveBack();
        }

        /** Gives back a batch whose submission was refused (or, from {@link #release()}, completed). */
        public void giveBack() {
            forget();
            home.give(this);
        }
    }

    /**
     * The free batches of one owner (a WinUSB registered buffer, a WDM pipe handle): as many as that owner
     * ever had in flight at once. Its batches are all of the class its factory makes.
     */
    public static final class Pool {
        private final ArrayDeque<Batch> free = new ArrayDeque<>();
        private final Function<Pool, Batch> factory;

        /**
         * @param factory makes a new batch of this pool when none is free
         */
        public Pool(Function<Pool, Batch> factory) {
            this.factory = factory;
        }

        /** A free batch, or a new one. */
        public Batch take() {
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

    /**
     * A packet's {@code USBD_STATUS} ([§3.6](reference/wdm.html#s3-6)).
     *
     * @param status the engine's neutral status
     * @param cancelled the batch was cut short: packets it never reached count as cancelled
     * @param late the packet's interval had passed when the batch was submitted
     */
    static int usbdStatus(PacketStatus status, boolean cancelled, boolean late) {
        return switch (status) {
            case OK -> USBD_STATUS_SUCCESS;
            case CRC -> USBD_STATUS_CRC;
            case BIT_STUFFING -> USBD_STATUS_BTSTUFF;
            case DATA_TOGGLE_MISMATCH -> USBD_STATUS_DATA_TOGGLE_MISMATCH;
            case STALL -> USBD_STATUS_STALL_PID;
            case DEVICE_NOT_RESPONDING -> USBD_STATUS_DEV_NOT_RESPONDING;
            case PID_CHECK_FAILURE -> USBD_STATUS_PID_CHECK_FAILURE;
            case UNEXPECTED_PID -> USBD_STATUS_UNEXPECTED_PID;
            case DATA_OVERRUN -> USBD_STATUS_DATA_OVERRUN;
            case DATA_UNDERRUN -> USBD_STATUS_DATA_UNDERRUN;
            case BUFFER_OVERRUN -> USBD_STATUS_BUFFER_OVERRUN;
            case BUFFER_UNDERRUN -> USBD_STATUS_BUFFER_UNDERRUN;
            case NOT_ACCESSED -> {
                if (cancelled) {
                    yield USBD_STATUS_CANCELED;
                }
                yield late ? USBD_STATUS_ISO_NOT_ACCESSED_LATE : USBD_STATUS_ISO_NOT_ACCESSED_BY_HW;
            }
            case CANCELED, DEVICE_GONE -> USBD_STATUS_CANCELED;
            case HOST_ERROR -> USBD_STATUS_ISO_TD_ERROR;
        };
    }
}
