package io.github.usbd4j.benchmarks;

import static io.github.usbd4j.usb.UsbdStatus.USBD_STATUS_SUCCESS;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.usb.UsbdIsoPacketDescriptor;
import io.github.usbd4j.win32.Win32;
import io.github.usbd4j.winusb.Overlapped;
import io.github.usbd4j.winusb.WinUsb;
import io.github.usbd4j.winusb.WinUsbInterfaceHandle;
import io.github.usbd4j.winusb.WinUsbIsochBufferHandle;
import java.nio.ByteBuffer;
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
 * Steady-state isochronous IN streaming through the WinUSB personality on the simulated loopback device,
 * in virtual time; the counterpart of {@link IsochStreamingBenchmark}. One operation is one 8-packet
 * transfer on a registered buffer: {@code WinUsb_ReadIsochPipeAsap} with one reused {@link Overlapped},
 * {@code WinUsb_GetOverlappedResult} with {@code bWait} (which runs the virtual bus until the I/O is done),
 * and a read of the packet descriptors. Interface 0 alternate setting 1: 512-byte packets, one per frame, at
 * full speed; 1024-byte packets, eight per frame, at high speed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class WinUsbStreamingBenchmark {
    private static final int PACKETS = 8;
    private static final int ALTERNATE_SETTING = 1;
    private static final int PIPE = 0x81;

    @Param({"FULL", "HIGH"})
    public UsbSpeed speed;

    private SimulatedHostController sim;
    private Usbd usbd;
    private WinUsb winUsb;
    private WinUsbInterfaceHandle iface;
    private WinUsbIsochBufferHandle buffer;
    private int length;
    private final Overlapped overlapped = new Overlapped();
    private final UsbdIsoPacketDescriptor[] descriptors = UsbdIsoPacketDescriptor.array(PACKETS);

    @Setup(Level.Trial)
    public void setUp() {
        sim = SimulatedHostController.builder().speed(speed).seed(42).build();
        usbd = Usbd.builder().backend(sim).build();
        IsochStreamingBenchmark.Driver driver = IsochStreamingBenchmark.Driver.attachLoopback(sim, usbd, speed);
        winUsb = usbd.winUsb();
        WinUsbInterfaceHandle[] ih = new WinUsbInterfaceHandle[1];
        if (!winUsb.initialize(driver.device, ih) || !winUsb.setCurrentAlternateSetting(ih[0], ALTERNATE_SETTING)) {
            throw new IllegalStateException(
                    "WinUsb_Initialize or SetCurrentAlternateSetting failed: " + Win32.getLastError());
        }
        iface = ih[0];
        length = PACKETS * (speed == UsbSpeed.HIGH ? 1024 : 512);
        WinUsbIsochBufferHandle[] bh = new WinUsbIsochBufferHandle[1];
        if (!winUsb.registerIsochBuffer(iface, PIPE, ByteBuffer.allocateDirect(length), length, bh)) {
            throw new IllegalStateException("WinUsb_RegisterIsochBuffer failed: " + Win32.getLastError());
        }
        buffer = bh[0];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        winUsb.unregisterIsochBuffer(buffer);
        usbd.close();
        sim.close();
    }

    /**
     * One 8-packet overlapped IN transfer, issued, waited for and read.
     *
     * @return the bytes received, so that nothing is optimised away
     */
    @Benchmark
    public int readAsapWaitResults() {
        if (winUsb.readIsochPipeAsap(buffer, 0, length, false, PACKETS, descriptors, overlapped)
                || Win32.getLastError() != Win32.ERROR_IO_PENDING) {
            throw new IllegalStateException("WinUsb_ReadIsochPipeAsap was not pending: " + Win32.getLastError());
        }
        if (!winUsb.getOverlappedResult(iface, overlapped, null, true)) {
            throw new IllegalStateException("the read failed: " + Win32.getLastError());
        }
        int total = 0;
        for (UsbdIsoPacketDescriptor d : descriptors) {
            if (d.status != USBD_STATUS_SUCCESS) {
                throw new IllegalStateException("packet failed: " + d);
            }
            total += d.length;
        }
        return total;
    }
}
