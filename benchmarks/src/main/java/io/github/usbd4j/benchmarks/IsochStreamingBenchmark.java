package io.github.usbd4j.benchmarks;

import static io.github.usbd4j.ce.UsbTypes.USB_IN_TRANSFER;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_WAIT;
import static io.github.usbd4j.ce.UsbTypes.USB_SHORT_TRANSFER_OK;
import static io.github.usbd4j.ce.UsbTypes.USB_START_ISOCH_ASAP;

import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Steady-state isochronous IN streaming through the CE API on the simulated loopback device, in virtual
 * time. One operation is one 8-frame transfer: {@code IssueIsochTransfer} (ASAP, no wait, no callback),
 * advance the virtual bus until it is complete, {@code GetIsochResults}, {@code CloseTransfer}. The
 * virtual clock makes the number a measure of the runtime's and the simulator's CPU cost per transfer,
 * not of bus time. Interface 0 alternate setting 1: 512-byte packets at full speed, 1024 at high speed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class IsochStreamingBenchmark {
    private static final int FRAMES = 8;
    private static final int ALTERNATE_SETTING = 1;
    private static final int ENDPOINT = 0x81;
    private static final int FLAGS = USB_IN_TRANSFER | USB_START_ISOCH_ASAP | USB_NO_WAIT | USB_SHORT_TRANSFER_OK;

    /**
     * Transfers streamed in the setup: a stream that has run a while, whose pools (and the runtime's
     * quarantine of 16,384 closed transfer handles per pipe) are full, so that the measurement sees the
     * steady state even where a loaded machine makes JMH's warm-up short.
     */
    static final int STEADY_STATE = 20_000;

    @Param({"FULL", "HIGH"})
    public UsbSpeed speed;

    private SimulatedHostController sim;
    private Usbd usbd;
    private UsbFuncs funcs;
    private UsbPipe pipe;
    private ByteBuffer buffer;
    private final int[] lengths = new int[FRAMES];
    private final int[] actual = new int[FRAMES];
    private final int[] errors = new int[FRAMES];

    /** The least a CE client driver does: accept control of the loopback device, keep its handle. */
    static final class Driver implements UsbClientDriver {
        volatile UsbHandle device;
        volatile UsbFuncs funcs;

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

        /**
         * Registers a driver, plugs the loopback device into the simulator and runs the bus until the driver
         * has it.
         */
        static Driver attachLoopback(SimulatedHostController sim, Usbd usbd, UsbSpeed speed) {
            Driver driver = new Driver();
            usbd.registerDriver(
                    "IsochBenchmark",
                    UsbDriverSettings.forVendor(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID),
                    driver);
            sim.attach(speed == UsbSpeed.HIGH ? LoopbackDevice.highSpeed() : LoopbackDevice.fullSpeed());
            for (int i = 0; i < 5000 && driver.device == null; i++) {
                sim.advanceFrames(1);
            }
            if (driver.device == null) {
                throw new IllegalStateException("the loopback device was not attached to the benchmark driver");
            }
            return driver;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        sim = SimulatedHostController.builder().speed(speed).seed(42).build();
        usbd = Usbd.builder().backend(sim).build();
        Driver driver = Driver.attachLoopback(sim, usbd, speed);
        funcs = driver.funcs;
        UsbHandle device = driver.device;
        UsbTransfer select = funcs.setInterface(device, null, null, 0, 0, ALTERNATE_SETTING);
        if (select == null) {
            throw new IllegalStateException("SetInterface failed: " + Win32.getLastError());
        }
        funcs.closeTransfer(select);
        UsbInterface alt = funcs.findInterface(funcs.getDeviceInfo(device), 0, ALTERNATE_SETTING);
        pipe = funcs.openPipe(device, alt.findEndpoint(ENDPOINT).descriptor());
        if (pipe == null) {
            throw new IllegalStateException("OpenPipe failed: " + Win32.getLastError());
        }
        int maxPacket = speed == UsbSpeed.HIGH ? 1024 : 512;
        Arrays.fill(lengths, maxPacket);
        buffer = ByteBuffer.allocateDirect(FRAMES * maxPacket);
        for (int i = 0; i < STEADY_STATE; i++) {
            issueCompleteResultsClose();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        funcs.closePipe(pipe);
        usbd.close();
        sim.close();
    }

    /**
     * One 8-frame IN transfer, issued, completed, read and closed.
     *
     * @return the bytes received, so that nothing is optimised away
     */
    @Benchmark
    public int issueCompleteResultsClose() {
        UsbTransfer t = funcs.issueIsochTransfer(pipe, null, null, FLAGS, 0, FRAMES, lengths, buffer, 0);
        if (t == null) {
            throw new IllegalStateException("IssueIsochTransfer failed: " + Win32.getLastError());
        }
        while (!funcs.isTransferComplete(t)) {
            sim.advanceFrames(1);
        }
        if (!funcs.getIsochResults(t, FRAMES, actual, errors)) {
            throw new IllegalStateException("GetIsochResults failed: " + Win32.getLastError());
        }
        funcs.closeTransfer(t);
        int total = 0;
        for (int k = 0; k < FRAMES; k++) {
            total += actual[k] + errors[k];
        }
        return total;
    }
}
