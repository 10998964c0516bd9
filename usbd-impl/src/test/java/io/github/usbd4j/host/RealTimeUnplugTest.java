package io.github.usbd4j.host;

import static io.github.usbd4j.win32.Win32.ERROR_IO_PENDING;
import static io.github.usbd4j.win32.Win32.ERROR_OPERATION_ABORTED;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.win32.Win32;
import io.github.usbd4j.winusb.Overlapped;
import io.github.usbd4j.winusb.WinUsb;
import io.github.usbd4j.winusb.WinUsbInterfaceHandle;
import io.github.usbd4j.winusb.WinUsbIsochBufferHandle;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * An unplug on the simulator's real-time clock, from a thread of the caller's: the device's pending I/Os complete on
 * that thread, one after the other, and client code that runs where one completes (an {@code OVERLAPPED}'s future,
 * [§2.3](reference/winusb.html#s2-3)) may wait for the next. That thread is held up in the wait, so the next one is
 * delivered by the clock thread, as a backend's event thread would deliver it. Nothing here is timed: the waits are
 * bounded only to turn a hang into a failure.
 */
class RealTimeUnplugTest {
    private static final Duration DEADLOCK = Duration.ofSeconds(30);
    private static final int FRAME_BYTES = 8 * 1024; // high speed, 1024 bytes per microframe, bInterval 1

    @Test
    void aFuturesWaitForTheNextAbortedIo_onTheUnpluggingThread_isAnswered_2_3() throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            SimulatedHostController sim = SimulatedHostController.builder()
                    .speed(UsbSpeed.HIGH)
                    .clockMode(SimulatedHostController.ClockMode.REAL_TIME)
                    .build();
            try (Usbd usbd = Usbd.builder().backend(sim).build()) {
                SimulatedDevice device = sim.attach(LoopbackDevice.highSpeed());
                List<UsbHandle> devices = usbd.devices();
                while (devices.isEmpty()) { // the clock thread reports the device; DEADLOCK bounds a hang
                    Thread.sleep(1);
                    devices = usbd.devices();
                }
                assertThat(devices).hasSize(1);
                WinUsb w = usbd.winUsb();
                WinUsbInterfaceHandle[] ih = new WinUsbInterfaceHandle[1];
                assertThat(w.initialize(devices.get(0), ih)).isTrue();
                assertThat(w.setCurrentAlternateSetting(ih[0], 1)).isTrue();
                ByteBuffer data = ByteBuffer.allocateDirect(16 * FRAME_BYTES);
                WinUsbIsochBufferHandle[] bh = new WinUsbIsochBufferHandle[1];
                assertThat(w.registerIsochBuffer(ih[0], 0x01, data, data.capacity(), bh))
                        .isTrue();

                // two writes that start 900 frames from now: both still pending when the device leaves
                int[] frame = new int[1];
                assertThat(w.getCurrentFrameNumber(ih[0], frame, new long[1])).isTrue();
                frame[0] += 900;
                Overlapped first = new Overlapped();
                Overlapped second = new Overlapped();
                Win32.setLastError(0);
                w.writeIsochPipe(bh[0], 0, 8 * FRAME_BYTES, frame, first);
                assertThat(Win32.getLastError()).as("first write").isEqualTo(ERROR_IO_PENDING);
                w.writeIsochPipe(bh[0], 8 * FRAME_BYTES, 8 * FRAME_BYTES, frame, second);
                assertThat(Win32.getLastError()).as("second write").isEqualTo(ERROR_IO_PENDING);
                AtomicInteger waited = new AtomicInteger(-1);
                AtomicInteger where = new AtomicInteger();
                Thread unplugging = Thread.currentThread();
                var unused = first.completion().thenRun(() -> {
                    where.set(Thread.currentThread() == unplugging ? 1 : 2);
                    Win32.setLastError(0);
                    w.getOverlappedResult(ih[0], second, null, true);
                    waited.set(Win32.getLastError());
                });

                sim.detach(device);

                assertThat(where)
                        .as("the first write completed on the unplugging thread")
                        .hasValue(1);
                assertThat(first.internal()).isEqualTo(ERROR_OPERATION_ABORTED);
                assertThat(waited)
                        .as("what the wait for the second write answered")
                        .hasValue(ERROR_OPERATION_ABORTED);
                assertThat(second.hasOverlappedIoCompleted()).isTrue();
            }
        });
    }
}
