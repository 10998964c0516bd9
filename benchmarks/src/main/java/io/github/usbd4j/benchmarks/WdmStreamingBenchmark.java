package io.github.usbd4j.benchmarks;

import static io.github.usbd4j.wdm.NtStatus.STATUS_PENDING;
import static io.github.usbd4j.wdm.NtStatus.STATUS_SUCCESS;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.wdm.Urb;
import io.github.usbd4j.wdm.UrbCompletionRoutine;
import io.github.usbd4j.wdm.UsbdHandle;
import io.github.usbd4j.wdm.Wdm;
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
 * Steady-state isochronous IN streaming through the WDM URB personality on the simulated loopback device,
 * in virtual time; the counterpart of {@link IsochStreamingBenchmark}. One operation is one 8-packet ASAP
 * URB, allocated once and reused as drivers do: submit it with a completion routine, advance the virtual
 * bus frame by frame until the routine has run, read {@code TransferBufferLength}. Interface 0 alternate
 * setting 1: 512-byte packets, one per frame, at full speed; 1024-byte packets, eight per frame, at high
 * speed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class WdmStreamingBenchmark implements UrbCompletionRoutine {
    private static final int PACKETS = 8;
    private static final int ALTERNATE_SETTING = 1;
    private static final int ENDPOINT = 0x81;

    @Param({"FULL", "HIGH"})
    public UsbSpeed speed;

    private SimulatedHostController sim;
    private Usbd usbd;
    private Wdm wdm;
    private UsbdHandle handle;
    private Urb urb;
    private int length;
    private boolean completed;
    private int ntStatus;

    @Setup(Level.Trial)
    public void setUp() {
        sim = SimulatedHostController.builder().speed(speed).seed(42).build();
        usbd = Usbd.builder().backend(sim).build();
        IsochStreamingBenchmark.Driver driver = IsochStreamingBenchmark.Driver.attachLoopback(sim, usbd, speed);
        wdm = usbd.wdm();
        UsbdHandle[] hh = new UsbdHandle[1];
        if (wdm.usbdCreateHandle(driver.device, hh) != STATUS_SUCCESS
                || wdm.selectInterface(hh[0], 0, ALTERNATE_SETTING) != STATUS_SUCCESS) {
            throw new IllegalStateException("USBD_CreateHandle or SelectInterface failed");
        }
        handle = hh[0];
        Urb[] u = new Urb[1];
        if (wdm.usbdIsochUrbAllocate(handle, PACKETS, u) != STATUS_SUCCESS) {
            throw new IllegalStateException("USBD_IsochUrbAllocate failed");
        }
        urb = u[0];
        int packetSize = speed == UsbSpeed.HIGH ? 1024 : 512;
        length = PACKETS * packetSize;
        urb.pipeHandle = wdm.pipeHandle(handle, ENDPOINT);
        urb.transferFlags = Urb.USBD_TRANSFER_DIRECTION_IN | Urb.USBD_START_ISO_TRANSFER_ASAP;
        urb.transferBuffer = ByteBuffer.allocateDirect(length);
        urb.numberOfPackets = PACKETS;
        for (int k = 0; k < PACKETS; k++) {
            urb.isoPacket[k].offset = k * packetSize;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        wdm.usbdUrbFree(handle, urb);
        usbd.close();
        sim.close();
    }

    @Override
    public void completed(Urb urb, int ntStatus, Object context) {
        this.ntStatus = ntStatus;
        this.completed = true;
    }

    /**
     * One 8-packet IN URB, submitted and completed.
     *
     * @return the bytes received, so that nothing is optimised away
     */
    @Benchmark
    public int submitComplete() {
        urb.transferBufferLength = length; // the stack wrote the bytes transferred here
        completed = false;
        if (wdm.submitUrb(handle, urb, this, null) != STATUS_PENDING) {
            throw new IllegalStateException("the URB was refused: 0x" + Integer.toHexString(urb.hdrStatus));
        }
        while (!completed) {
            sim.advanceFrames(1);
        }
        if (ntStatus != STATUS_SUCCESS || urb.errorCount != 0) {
            throw new IllegalStateException("the URB failed: 0x" + Integer.toHexString(urb.hdrStatus));
        }
        return urb.transferBufferLength;
    }
}
