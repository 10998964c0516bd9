package io.github.usbd4j.benchmarks;

import static io.github.usbd4j.ce.UsbTypes.USB_IN_TRANSFER;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_WAIT;
import static io.github.usbd4j.ce.UsbTypes.USB_SHORT_TRANSFER_OK;
import static io.github.usbd4j.ce.UsbTypes.USB_START_ISOCH_ASAP;

import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.BusClock;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.host.spi.HostListener;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The runtime's own cost per CE isochronous transfer, over a backend that does nothing: it completes every
 * transfer inside {@code submit}, every packet OK and full. One operation is {@code IssueIsochTransfer}
 * (ASAP, no wait, no callback), {@code GetIsochResults} and {@code CloseTransfer}: the engine and the CE
 * personality, with no simulator and no bus.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EngineOverheadBenchmark {
    private static final int FLAGS = USB_IN_TRANSFER | USB_START_ISOCH_ASAP | USB_NO_WAIT | USB_SHORT_TRANSFER_OK;

    @Param({"8", "64"})
    public int packets;

    private NullBackend backend;
    private Usbd usbd;
    private UsbFuncs funcs;
    private UsbPipe pipe;
    private ByteBuffer buffer;
    private int[] lengths;
    private int[] actual;
    private int[] errors;

    @Setup
    public void setUp() {
        backend = new NullBackend();
        usbd = Usbd.builder().backend(backend).build();
        IsochStreamingBenchmark.Driver driver = new IsochStreamingBenchmark.Driver();
        usbd.registerDriver(
                "EngineOverhead",
                io.github.usbd4j.ce.UsbDriverSettings.forVendor(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID),
                driver);
        backend.plug();
        funcs = driver.funcs;
        UsbHandle device = driver.device;
        if (device == null) {
            throw new IllegalStateException("the device was not attached to the benchmark driver");
        }
        UsbTransfer select = funcs.setInterface(device, null, null, 0, 0, 1);
        if (select == null) {
            throw new IllegalStateException("SetInterface failed: " + Win32.getLastError());
        }
        funcs.closeTransfer(select);
        UsbInterface alt = funcs.findInterface(funcs.getDeviceInfo(device), 0, 1);
        pipe = funcs.openPipe(device, alt.findEndpoint(0x81).descriptor());
        if (pipe == null) {
            throw new IllegalStateException("OpenPipe failed: " + Win32.getLastError());
        }
        lengths = new int[packets];
        actual = new int[packets];
        errors = new int[packets];
        Arrays.fill(lengths, 512);
        buffer = ByteBuffer.allocateDirect(packets * 512);
        for (int i = 0; i < IsochStreamingBenchmark.STEADY_STATE; i++) {
            issueResultsClose();
        }
    }

    @TearDown
    public void tearDown() {
        usbd.close();
    }

    /**
     * One transfer issued, completed by the backend, read and closed.
     *
     * @return the bytes received, so that nothing is optimised away
     */
    @Benchmark
    public int issueResultsClose() {
        UsbTransfer t = funcs.issueIsochTransfer(pipe, null, null, FLAGS, 0, packets, lengths, buffer, 0);
        if (t == null) {
            throw new IllegalStateException("IssueIsochTransfer failed: " + Win32.getLastError());
        }
        funcs.getIsochResults(t, packets, actual, errors);
        funcs.closeTransfer(t);
        return actual[0] + errors[packets - 1];
    }

    /** A host controller with the loopback device's descriptors that completes every transfer at once. */
    static final class NullBackend implements HostController, BusClock, BackendDevice {
        private final LoopbackDevice model = LoopbackDevice.fullSpeed();
        private HostListener listener;

        void plug() {
            listener.deviceAttached(this);
        }

        @Override
        public String name() {
            return "null";
        }

        @Override
        public void start(HostListener listener) {
            this.listener = listener;
        }

        @Override
        public BusClock clock() {
            return this;
        }

        @Override
        public void close() {}

        @Override
        public long currentFrame() {
            return 0;
        }

        @Override
        public long currentMicroframe() {
            return 0;
        }

        @Override
        public boolean isVirtual() {
            return true;
        }

        @Override
        public boolean runUntil(BooleanSupplier done, long maxFrames) {
            return done.getAsBoolean();
        }

        @Override
        public int frameLength() {
            return 12000;
        }

        @Override
        public boolean adjustFrameLength(int target, Runnable reached) {
            return false;
        }

        @Override
        public String location() {
            return "null:1";
        }

        @Override
        public UsbSpeed speed() {
            return UsbSpeed.FULL;
        }

        @Override
        public byte[] deviceDescriptor() {
            return model.deviceDescriptor().toBytes();
        }

        @Override
        public List<byte[]> configurationDescriptors() {
            return new ArrayList<>(model.configurationDescriptors());
        }

        @Override
        public int activeConfigurationValue() {
            return 1;
        }

        @Override
        public void open() {}

        @Override
        public boolean reservePeriodic(int endpointAddress, TransferType type, int bytesPerInterval, int period) {
            return true;
        }

        @Override
        public void releasePeriodic(int endpointAddress) {}

        @Override
        public void submit(BackendTransfer t) {
            t.accept();
            int total = 0;
            for (int k = 0; k < t.packets(); k++) {
                int n = t.packetLength(k);
                t.setPacketResult(k, n, PacketStatus.OK);
                total += n;
            }
            t.setResult(PacketStatus.OK, t.type() == TransferType.ISOCHRONOUS ? total : 0);
            t.complete();
        }

        @Override
        public void cancel(BackendTransfer transfer) {}

        @Override
        public void resetEndpoint(int endpointAddress) {}

        @Override
        public boolean suspend() {
            return false;
        }

        @Override
        public boolean resume() {
            return false;
        }

        @Override
        public boolean disable(boolean reenumerate) {
            return false;
        }
    }
}
