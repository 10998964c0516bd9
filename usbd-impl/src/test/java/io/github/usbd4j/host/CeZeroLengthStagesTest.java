package io.github.usbd4j.host;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.win32.Win32.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.TransferNotifyRoutine;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedHostController.ClockMode;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue A1: a data stage of no bytes needs no buffer ([§1.7](reference/ce-usbd.html#s1-7)): a control request with
 * {@code wLength} 0, or a zero-length bulk or interrupt OUT packet, is accepted with a {@code null}, a
 * read-only, a heap or a direct buffer, completes, and its callback runs once; synchronously it returns a
 * completed handle at once. Nothing throws, on either clock. A buffer that cannot hold the data stage gets
 * {@code ERROR_INVALID_USER_BUFFER} before anything is queued.
 */
class CeZeroLengthStagesTest {

    /** The buffers a zero-length stage may come with. */
    static final List<Function<Integer, ByteBuffer>> ANY_BUFFER = List.of(
            n -> null,
            ByteBuffer::allocate,
            ByteBuffer::allocateDirect,
            n -> ByteBuffer.allocate(n).asReadOnlyBuffer(),
            n -> ByteBuffer.allocateDirect(n).asReadOnlyBuffer());

    /** A call of no data bytes, given the rig, a callback (or null) and a buffer. */
    interface ZeroLengthCall {
        UsbTransfer issue(CeRig r, Pipes p, TransferNotifyRoutine callback, ByteBuffer buffer);
    }

    record Pipes(UsbPipe bulkOut, UsbPipe interruptOut) {}

    static Stream<Arguments> zeroLengthCalls() {
        return Stream.of(
                Arguments.of("GetDescriptor wLength 0", (ZeroLengthCall)
                        (r, p, cb, b) -> r.f.getDescriptor(r.device, cb, null, 0, 1, 0, 0, 0, b)),
                Arguments.of("SetDescriptor wLength 0", (ZeroLengthCall)
                        (r, p, cb, b) -> r.f.setDescriptor(r.device, cb, null, 0, 1, 0, 0, 0, b)),
                Arguments.of("vendor IN wLength 0", (ZeroLengthCall) (r, p, cb, b) -> r.f.issueVendorTransfer(
                        r.device,
                        cb,
                        null,
                        USB_IN_TRANSFER,
                        new UsbDeviceRequest(0xC0, LoopbackDevice.REQUEST_COUNTERS, 0, 0, 0),
                        b,
                        0)),
                Arguments.of("vendor OUT wLength 0", (ZeroLengthCall) (r, p, cb, b) -> r.f.issueVendorTransfer(
                        r.device,
                        cb,
                        null,
                        0,
                        new UsbDeviceRequest(0x40, LoopbackDevice.REQUEST_RESET, 0, 0, 0),
                        b,
                        0)),
                Arguments.of("bulk OUT zero-length packet", (ZeroLengthCall)
                        (r, p, cb, b) -> r.f.issueBulkTransfer(p.bulkOut(), cb, null, 0, 0, b, 0)),
                Arguments.of("interrupt OUT zero-length packet", (ZeroLengthCall)
                        (r, p, cb, b) -> r.f.issueInterruptTransfer(p.interruptOut(), cb, null, 0, 0, b, 0)));
    }

    static Stream<Arguments> everyClockAndCall() {
        return Stream.of(ClockMode.VIRTUAL, ClockMode.REAL_TIME)
                .flatMap(clock -> zeroLengthCalls().map(a -> Arguments.of(clock, a.get()[0], a.get()[1])));
    }

    private static CeRig rig(ClockMode clock) {
        return clock == ClockMode.VIRTUAL
                ? CeRig.virtual(LoopbackDevice.highSpeed())
                : CeRig.realTime(LoopbackDevice.highSpeed(), UnaryOperator.identity());
    }

    private static Pipes pipes(CeRig r) {
        return new Pipes(r.open(1, 0, 0x02), r.open(2, 0, 0x03));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("everyClockAndCall")
    void aZeroLengthStageCompletesWithAnyBufferOrNone(ClockMode clock, String name, ZeroLengthCall call)
            throws Exception {
        CeRig.bounded(Duration.ofSeconds(60), () -> {
            try (CeRig r = rig(clock)) {
                Pipes p = pipes(r);
                for (Function<Integer, ByteBuffer> buffer : ANY_BUFFER) {
                    // synchronous: returns a completed handle at once, not after a timeout (which returns null)
                    long start = r.sim.currentFrame();
                    UsbTransfer sync = call.issue(r, p, null, buffer.apply(0));
                    assertThat(sync)
                            .as("%s, synchronous, buffer %s (last error %d)", name, buffer, Win32.getLastError())
                            .isNotNull();
                    assertThat(r.f.isTransferComplete(sync)).isTrue();
                    if (clock == ClockMode.VIRTUAL) { // bus time; on the real-time clock only the null above tells
                        assertThat(r.sim.currentFrame() - start)
                                .as("bus frames the synchronous call took")
                                .isLessThan(10);
                    }
                    assertThat(r.f.closeTransfer(sync)).isTrue();

                    // with a callback: it runs exactly once
                    AtomicInteger callbacks = new AtomicInteger();
                    CountDownLatch called = new CountDownLatch(1);
                    UsbTransfer async = call.issue(
                            r,
                            p,
                            param -> {
                                callbacks.incrementAndGet();
                                called.countDown();
                                return 0;
                            },
                            buffer.apply(0));
                    assertThat(async).as("%s with a callback", name).isNotNull();
                    awaitCallback(r, clock, called);
                    assertThat(r.f.isTransferComplete(async)).isTrue();
                    int[] bytes = {-1};
                    assertThat(r.f.getTransferStatus(async, bytes, null)).isTrue();
                    assertThat(bytes[0]).isZero();
                    assertThat(r.f.closeTransfer(async)).isTrue();
                    assertThat(callbacks).hasValue(1);
                }
            }
        });
    }

    /**
     * Waits for the callback: on the virtual clock by running the bus (at most a second of bus time); on the real-time
     * clock, where the bus runs on its own thread, on the latch the callback counts down, bounded only by the test's
     * hang guard.
     */
    private static void awaitCallback(CeRig r, ClockMode clock, CountDownLatch called) throws InterruptedException {
        if (clock == ClockMode.VIRTUAL) {
            assertThat(r.sim.runUntil(() -> called.getCount() == 0, 1000))
                    .as("completed within a second of bus time")
                    .isTrue();
            return;
        }
        called.await();
    }

    @ParameterizedTest
    @EnumSource(ClockMode.class)
    void aBufferThatCannotHoldTheDataStageIsRefusedBeforeAnythingIsQueued(ClockMode clock) throws Exception {
        CeRig.bounded(Duration.ofSeconds(60), () -> {
            try (CeRig r = rig(clock)) {
                Pipes p = pipes(r);
                UsbPipe bulkIn = r.open(1, 0, 0x82);
                UsbPipe interruptIn = r.open(2, 0, 0x83);
                ByteBuffer readOnly = ByteBuffer.allocate(64).asReadOnlyBuffer();
                ByteBuffer shortHeap = ByteBuffer.allocate(17);
                ByteBuffer shortDirect = ByteBuffer.allocateDirect(64).position(50);
                ByteBuffer[] bad = {null, readOnly, shortHeap, shortDirect};
                for (int k = 0; k < bad.length; k++) {
                    ByteBuffer b = bad[k];
                    refused(r.f.getDescriptor(r.device, null, null, 0, 1, 0, 0, 18, b));
                    refused(r.f.issueVendorTransfer(
                            r.device,
                            null,
                            null,
                            USB_IN_TRANSFER,
                            new UsbDeviceRequest(0xC0, LoopbackDevice.REQUEST_COUNTERS, 0, 0, 16),
                            k == 2 ? ByteBuffer.allocate(15) : b, // 17 bytes would hold this one
                            0));
                    refused(r.f.issueBulkTransfer(bulkIn, null, null, USB_IN_TRANSFER, 18, b, 0));
                    refused(r.f.issueInterruptTransfer(interruptIn, null, null, USB_IN_TRANSFER, 18, b, 0));
                    if (k != 1) { // the host only reads an OUT buffer: read-only is fine there
                        refused(r.f.issueBulkTransfer(p.bulkOut(), null, null, 0, 18, b, 0));
                        refused(r.f.issueInterruptTransfer(p.interruptOut(), null, null, 0, 18, b, 0));
                        refused(r.f.setDescriptor(r.device, null, null, 0, 1, 0, 0, 18, b));
                    }
                }
                // a read-only buffer is fine for an OUT data stage
                UsbTransfer out = r.f.issueBulkTransfer(p.bulkOut(), null, null, 0, 18, readOnly, 0);
                assertThat(out).isNotNull();
                assertThat(r.f.closeTransfer(out)).isTrue();
            }
        });
    }

    private static void refused(UsbTransfer t) {
        assertThat(t).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_USER_BUFFER);
    }
}
