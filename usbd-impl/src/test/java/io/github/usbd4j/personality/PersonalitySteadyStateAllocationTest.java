package io.github.usbd4j.personality;

import static io.github.usbd4j.usb.UsbdStatus.USBD_STATUS_SUCCESS;
import static io.github.usbd4j.wdm.NtStatus.STATUS_PENDING;
import static io.github.usbd4j.wdm.NtStatus.STATUS_SUCCESS;
import static io.github.usbd4j.win32.Win32.ERROR_IO_PENDING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.usbd4j.contract.CeDriverFixture;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.sim.SimHarness;
import io.github.usbd4j.usb.UsbdIsoPacketDescriptor;
import io.github.usbd4j.wdm.Urb;
import io.github.usbd4j.wdm.UrbCompletionRoutine;
import io.github.usbd4j.wdm.UsbdHandle;
import io.github.usbd4j.wdm.Wdm;
import io.github.usbd4j.win32.Win32;
import io.github.usbd4j.winusb.Overlapped;
import io.github.usbd4j.winusb.WinUsb;
import io.github.usbd4j.winusb.WinUsbInterfaceHandle;
import io.github.usbd4j.winusb.WinUsbIsochBufferHandle;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * WinUSB and WDM isochronous streaming allocate nothing per transfer once warmed up, like the CE path
 * ({@code sim.SteadyStateAllocationTest}; [Hot path and memory](reference/design.html#hot-path)). High-speed loopback,
 * interface 0 alternate setting 1 (1024-byte packets every microframe), in virtual time, where every
 * completion runs on the thread that advances the bus, so that thread's allocation counter sees all of it.
 */
class PersonalitySteadyStateAllocationTest {
    private static final int PACKETS = 8; // one frame per transfer
    private static final int FRAME_BYTES = PACKETS * 1024;
    private static final int IN_FLIGHT = 3; // per direction
    private static final int WARM_UP = 2000;
    private static final int MEASURED = 2000;

    private com.sun.management.ThreadMXBean mx;
    private CeDriverFixture fx;

    @BeforeEach
    void needsAllocationCounter() {
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean);
        mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled());
        fx = new CeDriverFixture(new SimHarness(), Usbd.builder(), UsbSpeed.HIGH).plug();
    }

    @AfterEach
    void close() {
        if (fx != null) {
            fx.close();
        }
    }

    private long allocated() {
        return mx.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    /** A WinUSB application's stream: the oldest I/O waited for with GetOverlappedResult, then reissued. */
    private static final class WinUsbStream {
        final WinUsb w;
        final WinUsbInterfaceHandle h;
        final WinUsbIsochBufferHandle buffer;
        final boolean read;
        final Overlapped[] overlapped = new Overlapped[IN_FLIGHT];
        final UsbdIsoPacketDescriptor[][] descriptors = new UsbdIsoPacketDescriptor[IN_FLIGHT][];
        int oldest;
        long completed;

        WinUsbStream(WinUsb w, WinUsbInterfaceHandle h, int pipe) {
            this.w = w;
            this.h = h;
            this.read = (pipe & 0x80) != 0;
            WinUsbIsochBufferHandle[] bh = new WinUsbIsochBufferHandle[1];
            assertThat(w.registerIsochBuffer(
                            h, pipe, ByteBuffer.allocateDirect(IN_FLIGHT * FRAME_BYTES), IN_FLIGHT * FRAME_BYTES, bh))
                    .isTrue();
            buffer = bh[0];
            for (int i = 0; i < IN_FLIGHT; i++) {
                overlapped[i] = new Overlapped();
                descriptors[i] = UsbdIsoPacketDescriptor.array(PACKETS);
                issue(i);
            }
        }

        void issue(int i) {
            boolean continueStream = completed > 0;
            boolean ok = read
                    ? w.readIsochPipeAsap(
                            buffer,
                            i * FRAME_BYTES,
                            FRAME_BYTES,
                            continueStream,
                            PACKETS,
                            descriptors[i],
                            overlapped[i])
                    : w.writeIsochPipeAsap(buffer, i * FRAME_BYTES, FRAME_BYTES, continueStream, overlapped[i]);
            if (ok || Win32.getLastError() != ERROR_IO_PENDING) {
                throw new AssertionError("not accepted as overlapped I/O: " + Win32.getLastError());
            }
        }

        /** Waits for the oldest I/O, checks it, issues it again. */
        void step() {
            int i = oldest;
            if (!w.getOverlappedResult(h, overlapped[i], null, true)) {
                throw new AssertionError("I/O failed: " + Win32.getLastError());
            }
            if (read && descriptors[i][PACKETS - 1].status != USBD_STATUS_SUCCESS) {
                throw new AssertionError("late packet: the stream fell behind");
            }
            completed++;
            issue(i);
            oldest = (i + 1) % IN_FLIGHT;
        }
    }

    @Test
    void winUsbOverlappedAsapStreaming_allocatesNothingPerTransfer() {
        WinUsb w = fx.usbd.winUsb();
        WinUsbInterfaceHandle[] ih = new WinUsbInterfaceHandle[1];
        assertThat(w.initialize(fx.usbd.devices().get(0), ih)).isTrue();
        assertThat(w.setCurrentAlternateSetting(ih[0], 1)).isTrue();
        WinUsbStream out = new WinUsbStream(w, ih[0], 0x01);
        WinUsbStream in = new WinUsbStream(w, ih[0], 0x81);
        for (int i = 0; i < WARM_UP; i++) {
            out.step();
            in.step();
        }

        long before = allocated();
        long transfers = out.completed + in.completed;
        for (int i = 0; i < MEASURED; i++) {
            out.step();
            in.step();
        }
        long bytes = allocated() - before;
        transfers = out.completed + in.completed - transfers;

        // Overlapped makes its per-I/O future only when completion() is asked for: nothing per I/O here.
        assertThat(transfers).isEqualTo(2L * MEASURED);
        assertThat(bytes / transfers)
                .as("bytes per transfer (all: %d bytes for %d transfers)", bytes, transfers)
                .isLessThan(16);
    }

    /** A WDM driver's stream: each URB is resubmitted from its own completion routine. */
    private static final class WdmStream implements UrbCompletionRoutine {
        final Wdm wdm;
        final UsbdHandle h;
        long completed;
        int failures;
        boolean stopped;

        WdmStream(Wdm wdm, UsbdHandle h, int endpoint) {
            this.wdm = wdm;
            this.h = h;
            for (int i = 0; i < IN_FLIGHT; i++) {
                Urb[] u = new Urb[1];
                assertThat(wdm.usbdIsochUrbAllocate(h, PACKETS, u)).isEqualTo(STATUS_SUCCESS);
                Urb urb = u[0];
                urb.pipeHandle = wdm.pipeHandle(h, endpoint);
                urb.transferFlags = Urb.USBD_START_ISO_TRANSFER_ASAP
                        | ((endpoint & 0x80) != 0 ? Urb.USBD_TRANSFER_DIRECTION_IN : Urb.USBD_TRANSFER_DIRECTION_OUT);
                urb.transferBuffer = ByteBuffer.allocateDirect(FRAME_BYTES);
                urb.numberOfPackets = PACKETS;
                for (int k = 0; k < PACKETS; k++) {
                    urb.isoPacket[k].offset = k * 1024;
                }
                submit(urb);
            }
        }

        void submit(Urb urb) {
            urb.transferBufferLength = FRAME_BYTES; // the stack wrote the bytes transferred here
            if (wdm.submitUrb(h, urb, this, null) != STATUS_PENDING) {
                throw new AssertionError("URB refused: " + Integer.toHexString(urb.hdrStatus));
            }
        }

        @Override
        public void completed(Urb urb, int ntStatus, Object context) {
            completed++;
            if (ntStatus != STATUS_SUCCESS || urb.errorCount != 0) {
                failures++;
            }
            if (!stopped) {
                submit(urb);
            }
        }
    }

    @Test
    void wdmUrbsResubmittedFromTheirCompletionRoutine_allocateNothingPerTransfer() {
        Wdm wdm = fx.usbd.wdm();
        UsbdHandle[] hh = new UsbdHandle[1];
        assertThat(wdm.usbdCreateHandle(fx.usbd.devices().get(0), hh)).isEqualTo(STATUS_SUCCESS);
        assertThat(wdm.selectInterface(hh[0], 0, 1)).isEqualTo(STATUS_SUCCESS);
        WdmStream out = new WdmStream(wdm, hh[0], 0x01);
        WdmStream in = new WdmStream(wdm, hh[0], 0x81);
        fx.harness.runFrames(WARM_UP); // one URB per frame and direction

        long before = allocated();
        long transfers = out.completed + in.completed;
        fx.harness.runFrames(MEASURED);
        long bytes = allocated() - before;
        transfers = out.completed + in.completed - transfers;
        out.stopped = true;
        in.stopped = true;

        assertThat(out.failures + in.failures).as("URBs with errors").isZero();
        assertThat(transfers).isEqualTo(2L * MEASURED);
        assertThat(bytes / transfers)
                .as("bytes per transfer (all: %d bytes for %d transfers)", bytes, transfers)
                .isLessThan(16);
    }
}
