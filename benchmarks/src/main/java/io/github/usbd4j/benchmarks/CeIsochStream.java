package io.github.usbd4j.benchmarks;

import static io.github.usbd4j.ce.UsbTypes.USB_IN_TRANSFER;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_WAIT;
import static io.github.usbd4j.ce.UsbTypes.USB_SHORT_TRANSFER_OK;
import static io.github.usbd4j.ce.UsbTypes.USB_START_ISOCH_ASAP;

import io.github.usbd4j.ce.TransferNotifyRoutine;
import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.CaptureTap;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.sim.ControlResponse;
import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.sim.EndpointHandler;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.usb.UsbDeviceDescriptor;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * A CE client driver streaming isochronous IN from a high-speed simulated device on its own bus: a number of
 * transfers in flight, each checked with {@code GetIsochResults}, closed and reissued ASAP from its
 * callback, as a streaming driver does. It counts what a device would see as missed: packets that did not
 * complete without error, and microframes between one transfer's end and the next one's start (the gaps an
 * ASAP stream gets when a resubmission comes too late). With {@link #timestamps}, the device stamps each
 * packet with {@link System#nanoTime()} when the bus runs it, and each callback records how long after the
 * bus ran the transfer's last packet it was entered (bus done → callback entry).
 */
final class CeIsochStream implements UsbClientDriver {
    /** The devices a stream can run against. */
    enum Device {
        /** {@link LoopbackDevice}, high speed: nothing looped back, so every IN packet is pattern data. */
        LOOPBACK,
        /** A device with the loopback's iso IN endpoints whose packets carry no data (nothing is written). */
        NO_DATA
    }

    private static final int ENDPOINT = 0x81;
    private static final int FLAGS = USB_IN_TRANSFER | USB_START_ISOCH_ASAP | USB_NO_WAIT | USB_SHORT_TRANSFER_OK;
    private static final int RING = 4096;

    final SimulatedHostController sim;
    final Usbd usbd;
    private volatile UsbHandle device;
    private volatile UsbFuncs funcs;
    private final UsbPipe pipe;
    private final int packets;
    private final int packetLength;
    private final Slot[] slots;
    private volatile boolean running = true;

    /** Bus time of each packet by interval (ring), written by the device when timestamps are on. */
    private final long[] ranAt = new long[RING];

    private final boolean timestamps;
    // written by the callbacks, which run one at a time for the pipe
    long transfers;
    long packetsOk;
    long packetsBad;
    long gapMicroframes;
    private long expectedStartFrame = -1;
    private long[] latencies = new long[0];
    private int latencyCount;

    /**
     * Builds the bus, the runtime and the driver, selects the alternate setting and opens the pipe.
     *
     * @param clock virtual or real time
     * @param device the device model
     * @param alternateSetting 1: 1024 B per microframe; 2: 3 x 1024 B per microframe
     * @param packets packets (microframes) per transfer
     * @param inFlight transfers kept in flight
     * @param callbacks the callback executor, or {@code null} for the runtime's default
     * @param timestamps whether to measure bus done → callback entry
     */
    CeIsochStream(
            SimulatedHostController.ClockMode clock,
            Device device,
            int alternateSetting,
            int packets,
            int inFlight,
            Executor callbacks,
            boolean timestamps) {
        this(clock, device, alternateSetting, packets, inFlight, callbacks, timestamps, null);
    }

    /**
     * As above, with every transfer captured.
     *
     * @param capture the capture the runtime writes, or {@code null}
     */
    CeIsochStream(
            SimulatedHostController.ClockMode clock,
            Device device,
            int alternateSetting,
            int packets,
            int inFlight,
            Executor callbacks,
            boolean timestamps,
            CaptureTap capture) {
        this(clock, device, alternateSetting, packets, inFlight, callbacks, timestamps, capture, 0);
    }

    /**
     * As above, with a transfer handle quarantine of its own.
     *
     * @param handleQuarantine {@link Usbd.Builder#transferHandleQuarantine}, or 0 for the runtime's default
     */
    CeIsochStream(
            SimulatedHostController.ClockMode clock,
            Device device,
            int alternateSetting,
            int packets,
            int inFlight,
            Executor callbacks,
            boolean timestamps,
            CaptureTap capture,
            int handleQuarantine) {
        this.sim = SimulatedHostController.builder()
                .speed(UsbSpeed.HIGH)
                .clockMode(clock)
                .seed(42)
                .build();
        Usbd.Builder b = Usbd.builder().backend(sim);
        if (callbacks != null) {
            b.callbackExecutor(callbacks);
        }
        if (capture != null) {
            b.capture(capture);
        }
        if (handleQuarantine > 0) {
            b.transferHandleQuarantine(handleQuarantine);
        }
        this.usbd = b.build();
        this.timestamps = timestamps;
        usbd.registerDriver(
                "IsochStream", UsbDriverSettings.forVendor(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID), this);
        DeviceModel model = LoopbackDevice.highSpeed();
        if (device == Device.NO_DATA || timestamps) {
            model = new Wrapped(model, device == Device.NO_DATA, timestamps ? ranAt : null);
        }
        sim.attach(model);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (this.device == null) {
            if (clock == SimulatedHostController.ClockMode.VIRTUAL) {
                sim.advanceFrames(1);
            } else {
                Thread.onSpinWait();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the device was not attached to the driver");
            }
        }
        UsbTransfer select = funcs.setInterface(this.device, null, null, 0, 0, alternateSetting);
        if (select == null) {
            throw new IllegalStateException("SetInterface failed: " + Win32.getLastError());
        }
        funcs.closeTransfer(select);
        UsbInterface alt = funcs.findInterface(funcs.getDeviceInfo(this.device), 0, alternateSetting);
        this.pipe = funcs.openPipe(this.device, alt.findEndpoint(ENDPOINT).descriptor());
        if (pipe == null) {
            throw new IllegalStateException("OpenPipe failed: " + Win32.getLastError());
        }
        this.packets = packets;
        this.packetLength = alternateSetting == 2 ? 3 * 1024 : 1024;
        this.slots = new Slot[inFlight];
        for (int i = 0; i < inFlight; i++) {
            slots[i] = new Slot();
        }
    }

    @Override
    public boolean usbDeviceAttach(
            UsbHandle hDevice,
            UsbFuncs usbFuncs,
            UsbInterface usbInterface,
            String uniqueDriverId,
            boolean[] acceptControl,
            UsbDriverSettings driverSettings,
            int unused) {
        this.funcs = usbFuncs;
        this.device = hDevice;
        acceptControl[0] = true;
        return true;
    }

    /** Issues every slot's first transfer. */
    void start() {
        for (Slot s : slots) {
            s.issue();
        }
    }

    /** Stops reissuing; transfers in flight complete. */
    void stop() {
        running = false;
    }

    /** Forgets the counts so far (after a warm-up), and keeps room for {@code expected} latencies. */
    synchronized void reset(int expected) {
        transfers = 0;
        packetsOk = 0;
        packetsBad = 0;
        gapMicroframes = 0;
        latencies = new long[expected];
        latencyCount = 0;
    }

    /** Latencies recorded so far, sorted (nanoseconds). */
    synchronized long[] sortedLatencies() {
        long[] l = Arrays.copyOf(latencies, latencyCount);
        Arrays.sort(l);
        return l;
    }

    void close() {
        stop();
        usbd.close();
        sim.close();
    }

    private final class Slot {
        final ByteBuffer buf = ByteBuffer.allocateDirect(packets * packetLength);
        final int[] lengths = new int[packets];
        final int[] actual = new int[packets];
        final int[] errors = new int[packets];
        final TransferNotifyRoutine callback = p -> done();
        UsbTransfer t;

        Slot() {
            Arrays.fill(lengths, packetLength);
        }

        void issue() {
            t = funcs.issueIsochTransfer(pipe, callback, null, FLAGS, 0, packets, lengths, buf, 0);
            if (t == null) {
                throw new IllegalStateException("IssueIsochTransfer failed: " + Win32.getLastError());
            }
        }

        int done() {
            long entered = timestamps ? System.nanoTime() : 0;
            funcs.getIsochResults(t, packets, actual, errors);
            long start = t.startFrame() & 0xFFFF_FFFFL;
            record(entered, start);
            funcs.closeTransfer(t);
            if (running) {
                issue();
            }
            return 0;
        }

        private void record(long entered, long start) {
            synchronized (CeIsochStream.this) {
                transfers++;
                for (int k = 0; k < packets; k++) {
                    if (errors[k] == USB_NO_ERROR) {
                        packetsOk++;
                    } else {
                        packetsBad++;
                    }
                }
                if (expectedStartFrame >= 0 && start > expectedStartFrame) {
                    gapMicroframes += (start - expectedStartFrame) * 8;
                }
                expectedStartFrame = start + packets / 8;
                if (timestamps && latencyCount < latencies.length) {
                    long ran = ranAt[(int) ((start * 8 + packets - 1) & (RING - 1))];
                    latencies[latencyCount++] = entered - ran;
                }
            }
        }
    }

    /** The loopback device with its iso IN optionally emptied and each packet's bus time recorded. */
    private static final class Wrapped extends DeviceModel {
        private final DeviceModel inner;
        private final boolean noData;
        private final long[] ranAt;

        Wrapped(DeviceModel inner, boolean noData, long[] ranAt) {
            this.inner = inner;
            this.noData = noData;
            this.ranAt = ranAt;
        }

        @Override
        public UsbSpeed speed() {
            return inner.speed();
        }

        @Override
        public UsbDeviceDescriptor deviceDescriptor() {
            return inner.deviceDescriptor();
        }

        @Override
        public List<byte[]> configurationDescriptors() {
            return inner.configurationDescriptors();
        }

        @Override
        public String string(int index) {
            return inner.string(index);
        }

        @Override
        public ControlResponse control(UsbDeviceRequest setup, ByteBuffer dataOut) {
            return inner.control(setup, dataOut);
        }

        @Override
        public EndpointHandler endpoint(int address) {
            EndpointHandler h = inner.endpoint(address);
            if (address != ENDPOINT) {
                return h;
            }
            return new EndpointHandler() {
                @Override
                public int in(long frame, int microframe, ByteBuffer dest, int maxLength) {
                    if (ranAt != null) {
                        ranAt[(int) ((frame * 8 + microframe) & (RING - 1))] = System.nanoTime();
                    }
                    return noData ? maxLength : h.in(frame, microframe, dest, maxLength);
                }
            };
        }
    }
}
