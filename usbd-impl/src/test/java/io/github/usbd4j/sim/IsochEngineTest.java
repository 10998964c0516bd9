package io.github.usbd4j.sim;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.win32.Win32.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.contract.CeDriverFixture;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.win32.Win32;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Engine rules that need the simulator's exact clock: COMPRESS layout, high-speed microframe slots and
 * high-bandwidth limits, the configurable lead, the synchronous guard, the 32-bit frame wrap, threads
 * blocked in synchronous calls, and allocation-free steady state
 * ([§1.7](reference/ce-usbd.html#s1-7)–[§1.9](reference/ce-usbd.html#s1-9), [§4](reference/usb-bus.html#s4)).
 */
class IsochEngineTest {
    private CeDriverFixture fx;

    @AfterEach
    void close() {
        if (fx != null) {
            fx.close();
        }
    }

    private CeDriverFixture plug(SimHarness h, Usbd.Builder b, UsbSpeed speed) {
        fx = new CeDriverFixture(h, b, speed).plug();
        return fx;
    }

    private static int[] lengths(int n, int len) {
        int[] l = new int[n];
        Arrays.fill(l, len);
        return l;
    }

    /**
     * GetIsochResults writes every frame it is asked for, whatever the arrays held: the transfer's lengths and
     * codes, then zeros past its last frame; a call that fails (a closed handle) leaves zeros too
     * ([§1.8](reference/ce-usbd.html#s1-8)).
     */
    @Test
    void getIsochResults_writesEveryFrameAskedFor_zerosPastTheTransfersLast_1_8() {
        plug(new SimHarness(), Usbd.builder(), UsbSpeed.FULL);
        UsbFuncs f = fx.funcs;
        UsbPipe out = fx.openIsoPipe(1, 0x01);
        UsbTransfer t = f.issueIsochTransfer(
                out, null, null, USB_START_ISOCH_ASAP | USB_NO_WAIT, 0, 4, lengths(4, 64), ByteBuffer.allocate(256), 0);
        assertThat(t).isNotNull();
        fx.harness.runFrames(20);
        assertThat(f.isTransferComplete(t)).isTrue();
        int[] got = new int[8];
        int[] err = new int[8];
        Arrays.fill(got, -7);
        Arrays.fill(err, -7);
        assertThat(f.getIsochResults(t, 8, got, err)).isTrue();
        assertThat(got).containsExactly(64, 64, 64, 64, 0, 0, 0, 0);
        assertThat(err).containsOnly(USB_NO_ERROR);
        assertThat(f.closeTransfer(t)).isTrue();
        Arrays.fill(got, -7);
        Arrays.fill(err, -7);
        assertThat(f.getIsochResults(t, 8, got, err)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(Win32.ERROR_INVALID_HANDLE);
        assertThat(got).containsOnly(0);
        assertThat(err).containsOnly(0);
    }

    @Test
    void compress_packsShortAndBadFramesBackToBack_byTheirActualLength_1_8() {
        plug(
                new SimHarness()
                        .faults(FaultPlan.builder()
                                .faultAt(40, 0x81, io.github.usbd4j.host.spi.PacketStatus.CRC)
                                .build()),
                Usbd.builder(),
                UsbSpeed.FULL);
        UsbFuncs f = fx.funcs;
        UsbPipe out = fx.openIsoPipe(1, 0x01);
        UsbPipe in = fx.openIsoPipe(1, 0x81);
        int[] sent = {100, 7, 300, 1};
        ByteBuffer data = ByteBuffer.allocate(408);
        for (int i = 0; i < 408; i++) {
            data.put(i, (byte) i);
        }
        f.closeTransfer(f.issueIsochTransfer(out, null, null, USB_START_ISOCH_ASAP, 0, 4, sent, data, 0));
        while (fx.frame() < 33) {
            fx.harness.runFrames(1);
        }
        ByteBuffer got = ByteBuffer.allocate(4 * 512);
        UsbTransfer r = f.issueIsochTransfer(
                in,
                null,
                null,
                USB_IN_TRANSFER | USB_START_ISOCH_ASAP | USB_COMPRESS_ISOCH | USB_SHORT_TRANSFER_OK,
                0,
                4,
                lengths(4, 512),
                got,
                0);
        assertThat(r.startFrame())
                .as("the CRC fault hits the transfer's second frame")
                .isEqualTo(39);
        int[] len = new int[4];
        int[] err = new int[4];
        assertThat(f.getIsochResults(r, 4, len, err)).isTrue();
        assertThat(len).containsExactly(100, 7, 300, 1);
        assertThat(err).containsExactly(USB_NO_ERROR, USB_CRC_ERROR, USB_NO_ERROR, USB_NO_ERROR);
        for (int i = 0; i < 408; i++) {
            assertThat(got.get(i)).as("packed byte %d", i).isEqualTo((byte) i);
        }
        f.closeTransfer(r);
    }

    @Test
    void withoutCompress_shortFramesStayAtTheirSlots_andReportUnderrunUnlessShortOk_1_8() {
        plug(new SimHarness(), Usbd.builder(), UsbSpeed.FULL);
        UsbFuncs f = fx.funcs;
        UsbPipe out = fx.openIsoPipe(1, 0x01);
        UsbPipe in = fx.openIsoPipe(1, 0x81);
        f.closeTransfer(f.issueIsochTransfer(
                out, null, null, USB_START_ISOCH_ASAP, 0, 2, new int[] {10, 20}, ByteBuffer.allocate(30), 0));
        ByteBuffer got = ByteBuffer.allocate(1024);
        UsbTransfer r = f.issueIsochTransfer(
                in, null, null, USB_IN_TRANSFER | USB_START_ISOCH_ASAP, 0, 2, lengths(2, 512), got, 0);
        assertThat(r.frameLength(0)).isEqualTo(10);
        assertThat(r.frameError(0)).isEqualTo(USB_DATA_UNDERRUN_ERROR);
        assertThat(r.frameError(1)).isEqualTo(USB_DATA_UNDERRUN_ERROR);
        assertThat(r.error()).isEqualTo(USB_DATA_UNDERRUN_ERROR);
        assertThat(r.bytesTransferred()).isEqualTo(30);
        f.closeTransfer(r);
    }

    @Test
    void highSpeed_eachEntryIsAMicroframeSlot_andFramesAreCountedAsCeilOfEntriesOver8_1_8() {
        plug(new SimHarness(), Usbd.builder(), UsbSpeed.HIGH);
        UsbFuncs f = fx.funcs;
        UsbPipe out = fx.openIsoPipe(1, 0x01);
        int now = fx.frame();
        UsbTransfer t1 = f.issueIsochTransfer(
                out,
                null,
                null,
                USB_START_ISOCH_ASAP | USB_NO_WAIT,
                0,
                12,
                lengths(12, 1024),
                ByteBuffer.allocate(12 * 1024),
                0);
        UsbTransfer t2 = f.issueIsochTransfer(
                out,
                null,
                null,
                USB_START_ISOCH_ASAP | USB_NO_WAIT,
                0,
                16,
                lengths(16, 1024),
                ByteBuffer.allocate(16 * 1024),
                0);
        assertThat(t1.startFrame()).isEqualTo(now + 6);
        assertThat(t2.startFrame()).as("12 microframes occupy 2 frames").isEqualTo(now + 8);
        fx.harness.runFrames(9); // frames now..now+8 ran: all of t1, not t2's second frame
        assertThat(f.isTransferComplete(t1)).isTrue();
        assertThat(f.isTransferComplete(t2)).isFalse();
        fx.harness.runFrames(1);
        assertThat(f.isTransferComplete(t2)).as("16 microframes = 2 frames").isTrue();
        f.closeTransfer(t1);
        f.closeTransfer(t2);
    }

    @Test
    void highBandwidth_lengthsUpTo3x1024_areAccepted_andOneMoreIsRefused_1_8_4() {
        plug(new SimHarness(), Usbd.builder(), UsbSpeed.HIGH);
        UsbFuncs f = fx.funcs;
        UsbPipe out = fx.openIsoPipe(2, 0x01);
        assertThat(out.endpoint().wMaxPacketSize()).isEqualTo(0x1400);
        UsbTransfer ok = f.issueIsochTransfer(
                out, null, null, USB_START_ISOCH_ASAP, 0, 8, lengths(8, 3072), ByteBuffer.allocate(8 * 3072), 0);
        assertThat(ok).isNotNull();
        assertThat(ok.bytesTransferred()).isEqualTo(8 * 3072);
        f.closeTransfer(ok);
        Win32.setLastError(0);
        assertThat(f.issueIsochTransfer(
                        out, null, null, USB_START_ISOCH_ASAP, 0, 1, new int[] {3073}, ByteBuffer.allocate(3073), 0))
                .isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_PARAMETER);
    }

    @Test
    void startFrameLead_isConfigurable_1_8() {
        plug(new SimHarness(), Usbd.builder().startFrameLead(2), UsbSpeed.FULL);
        UsbPipe out = fx.openIsoPipe(1, 0x01);
        int now = fx.frame();
        UsbTransfer t = fx.funcs.issueIsochTransfer(
                out, null, null, USB_START_ISOCH_ASAP | USB_NO_WAIT, 0, 1, new int[] {8}, ByteBuffer.allocate(8), 0);
        assertThat(t.startFrame()).isEqualTo(now + 2);
        assertThat(fx.funcs.issueIsochTransfer(
                        out, null, null, USB_NO_WAIT, now + 2, 1, new int[] {8}, ByteBuffer.allocate(8), 0))
                .as("overlaps the stream")
                .isNull();
        fx.funcs.closeTransfer(t);
    }

    @Test
    void synchronousCall_longerThanTheGuard_returnsNullWithTimeout_andFreesTheTransfer_1_7() {
        plug(new SimHarness(), Usbd.builder().syncTimeoutMillis(20), UsbSpeed.FULL);
        UsbPipe out = fx.openIsoPipe(1, 0x01);
        int before = fx.frame();
        Win32.setLastError(0);
        assertThat(fx.funcs.issueIsochTransfer(
                        out, null, null, USB_START_ISOCH_ASAP, 0, 100, lengths(100, 8), ByteBuffer.allocate(800), 0))
                .isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_TIMEOUT);
        assertThat(fx.frame() - before)
                .as("20 frames of bus time passed, not 100")
                .isBetween(20, 22);
    }

    @Test
    void frameNumbers_wrapAt32Bits_andStartFramesAreReadAcrossTheWrap_1_9() {
        plug(new SimHarness().startFrame(0xFFFF_FFF0L), Usbd.builder(), UsbSpeed.FULL);
        UsbPipe out = fx.openIsoPipe(1, 0x01);
        int now = fx.frame();
        assertThat(Integer.toUnsignedLong(now)).isGreaterThanOrEqualTo(0xFFFF_FFF0L);
        int start = now + 20; // wraps past 0xFFFFFFFF
        assertThat(Integer.toUnsignedLong(start)).isLessThan(0x100L);
        UsbTransfer t = fx.funcs.issueIsochTransfer(
                out, null, null, USB_NO_WAIT, start, 4, lengths(4, 8), ByteBuffer.allocate(32), 0);
        assertThat(t).isNotNull();
        assertThat(t.startFrame()).isEqualTo(start);
        fx.harness.runFrames(30);
        assertThat(t.error()).isEqualTo(USB_NO_ERROR);
        assertThat(fx.frame()).isEqualTo(now + 30);
        fx.funcs.closeTransfer(t);
    }

    @Test
    void threadBlockedInASynchronousCall_isReleasedByUnplug_withCanceled_1_5() throws Exception {
        plug(new SimHarness(), Usbd.builder(), UsbSpeed.FULL);
        UsbPipe out = fx.openIsoPipe(1, 0x01);
        SimulatedHostController sim = ((SimHarness) fx.harness).sim();
        sim.scheduleDetach((SimulatedDevice) fx.plugged(), sim.currentFrame() + 50);
        AtomicReference<Object> result = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            UsbTransfer t = fx.funcs.issueIsochTransfer(
                    out, null, null, USB_START_ISOCH_ASAP, 0, 1000, lengths(1000, 8), ByteBuffer.allocate(8000), 0);
            result.set(
                    t == null
                            ? "null " + Win32.errorName(Win32.getLastError())
                            : "error " + io.github.usbd4j.ce.UsbTypes.errorName(t.error()));
        });
        caller.start();
        caller.join(30_000); // a hang guard: the caller runs the virtual bus itself and ends at the unplug
        assertThat(caller.isAlive()).as("no thread is left blocked").isFalse();
        assertThat(result.get()).isEqualTo("error USB_CANCELED_ERROR");
        assertThat(fx.events).containsExactly("USB_CLOSE_DEVICE");
    }

    @Test
    void interruptingASynchronousCall_abortsTheTransfer_andKeepsTheInterrupt() throws Exception {
        SimulatedHostController sim = SimulatedHostController.builder()
                .clockMode(SimulatedHostController.ClockMode.REAL_TIME)
                .build();
        SimHarness h = new SimHarness() {
            @Override
            public io.github.usbd4j.host.spi.HostController newBackend(UsbSpeed speed) {
                return sim;
            }

            @Override
            public Object plugLoopback() {
                return sim.attach(LoopbackDevice.fullSpeed());
            }

            @Override
            public void runFrames(long frames) {
                Thread.onSpinWait();
            }
        };
        // the synchronous guard beyond the transfer: only the interrupt can end the call early
        fx = new CeDriverFixture(h, Usbd.builder().syncTimeoutMillis(120_000), UsbSpeed.FULL);
        sim.attach(LoopbackDevice.fullSpeed());
        org.awaitility.Awaitility.await().until(() -> fx.device != null);
        UsbPipe out = fx.openIsoPipe(1, 0x01);
        AtomicReference<String> result = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            // 60 s of frames on the real-time clock: the interrupt below lands in the wait however loaded the machine
            UsbTransfer t = fx.funcs.issueIsochTransfer(
                    out,
                    null,
                    null,
                    USB_START_ISOCH_ASAP,
                    0,
                    60_000,
                    lengths(60_000, 8),
                    ByteBuffer.allocate(480_000),
                    0);
            result.set((t == null ? Win32.errorName(Win32.getLastError()) : "a transfer") + " interrupted="
                    + Thread.currentThread().isInterrupted());
        });
        caller.start();
        org.awaitility.Awaitility.await().until(() -> caller.getState() == Thread.State.TIMED_WAITING);
        caller.interrupt();
        caller.join(30_000); // a hang guard: the interrupt ends the wait at once
        assertThat(result.get()).isEqualTo("ERROR_OPERATION_ABORTED interrupted=true");
    }

    /**
     * A stream allocates nothing per transfer, with a small handle quarantine and with the default one (16,384
     * handles a pipe, far more than the warm-up's transfers): an isochronous pipe makes its handles when it
     * opens, so a stale handle stays invalid without a new handle per transfer while the quarantine fills.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "quarantine {0} (0: the default)")
    @org.junit.jupiter.params.provider.ValueSource(ints = {256, 0})
    void steadyStateStreaming_allocatesNothingPerTransfer(int quarantine) {
        Usbd.Builder b = Usbd.builder();
        if (quarantine > 0) {
            b.transferHandleQuarantine(quarantine);
        }
        plug(new SimHarness(), b, UsbSpeed.FULL);
        UsbFuncs f = fx.funcs;
        UsbPipe out = fx.openIsoPipe(1, 0x01);
        UsbPipe in = fx.openIsoPipe(1, 0x81);
        int[] len = lengths(8, 64);
        int[] res = new int[8];
        int[] err = new int[8];
        ByteBuffer ob = ByteBuffer.allocateDirect(512);
        ByteBuffer ib = ByteBuffer.allocateDirect(8 * 512);
        int[] inLen = lengths(8, 512);
        io.github.usbd4j.ce.TransferNotifyRoutine[] cb = new io.github.usbd4j.ce.TransferNotifyRoutine[1];
        UsbTransfer[] slots = new UsbTransfer[4];
        cb[0] = p -> {
            int i = (Integer) p;
            UsbTransfer t = slots[i];
            f.getIsochResults(t, 8, res, err);
            f.closeTransfer(t);
            boolean isIn = i >= 2;
            slots[i] = f.issueIsochTransfer(
                    isIn ? in : out,
                    cb[0],
                    p,
                    (isIn ? USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK : 0) | USB_START_ISOCH_ASAP,
                    0,
                    8,
                    isIn ? inLen : len,
                    isIn ? ib : ob,
                    0);
            return 0;
        };
        Integer[] params = {0, 1, 2, 3};
        for (int i = 0; i < 4; i++) {
            boolean isIn = i >= 2;
            slots[i] = f.issueIsochTransfer(
                    isIn ? in : out,
                    cb[0],
                    params[i],
                    (isIn ? USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK : 0) | USB_START_ISOCH_ASAP,
                    0,
                    8,
                    isIn ? inLen : len,
                    isIn ? ib : ob,
                    0);
        }
        fx.harness.runFrames(2_000); // warm up: pools and arrays reach their steady size
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        fx.harness.runFrames(8_000); // 2,000 transfers issued, completed, checked and closed
        long perTransfer = (mx.getCurrentThreadAllocatedBytes() - before) / 2_000;
        assertThat(perTransfer)
                .as("bytes allocated per transfer in steady state")
                .isLessThan(16);
    }

    /**
     * The CE streaming idiom closes the finished transfer and issues the next one from its callback, so the
     * pooled transfer may be reused while its callback is still on the stack. Closing that new, pending
     * transfer from another thread returns once it is complete (CE's CloseTransfer waits for fComplete, not
     * for the callback, [§1.7](reference/ce-usbd.html#s1-7)), and its callback still runs, exactly once, when its turn
     * comes; the first handle stays closed.
     */
    @Test
    void reissueFromTheCallback_thenCloseFromAnotherThread_returnsOnCompletion_andTheCallbackRunsOnce_1_7()
            throws Exception {
        java.util.concurrent.LinkedBlockingQueue<Runnable> callbacks = new java.util.concurrent.LinkedBlockingQueue<>();
        plug(new SimHarness(), Usbd.builder().callbackExecutor(callbacks::add), UsbSpeed.FULL);
        UsbFuncs f = fx.funcs;
        UsbPipe in = fx.openIsoPipe(1, 0x81);
        AtomicReference<UsbTransfer> next = new AtomicReference<>();
        java.util.concurrent.atomic.AtomicInteger secondRan = new java.util.concurrent.atomic.AtomicInteger();
        AtomicReference<UsbTransfer> first = new AtomicReference<>();
        first.set(f.issueIsochTransfer(
                in,
                p -> {
                    f.closeTransfer(first.get());
                    next.set(f.issueIsochTransfer(
                            in,
                            q -> {
                                secondRan.incrementAndGet();
                                return 0;
                            },
                            null,
                            USB_IN_TRANSFER | USB_START_ISOCH_ASAP | USB_NO_WAIT | USB_SHORT_TRANSFER_OK,
                            0,
                            8,
                            lengths(8, 512),
                            ByteBuffer.allocate(8 * 512),
                            0));
                    return 0;
                },
                null,
                USB_IN_TRANSFER | USB_START_ISOCH_ASAP | USB_NO_WAIT | USB_SHORT_TRANSFER_OK,
                0,
                2,
                lengths(2, 512),
                ByteBuffer.allocate(2 * 512),
                0));
        while (callbacks.isEmpty()) {
            fx.harness.runFrames(1);
        }
        callbacks.take().run(); // the first callback: close, reissue
        assertThat(next.get()).isNotNull();
        assertThat(next.get().isComplete()).isFalse();

        java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
        Thread closer = new Thread(() -> closed.set(f.closeTransfer(next.get())));
        closer.start();
        closer.join(30_000); // a hang guard: the close runs the virtual bus itself until the transfer completes
        assertThat(closer.isAlive())
                .as("CloseTransfer waits for completion, not for the callback")
                .isFalse();
        assertThat(closed.get()).isTrue();
        assertThat(secondRan.get()).as("its callback is still queued").isZero();

        Runnable second = callbacks.poll(30, java.util.concurrent.TimeUnit.SECONDS); // a hang guard
        assertThat(second).as("the second transfer's callback was queued").isNotNull();
        second.run(); // the second transfer's callback (USB_CANCELED_ERROR)
        assertThat(secondRan.get()).isEqualTo(1);
        assertThat(callbacks).isEmpty();
        assertThat(f.closeTransfer(first.get()))
                .as("the first handle stays closed")
                .isFalse();
        assertThat(f.closeTransfer(next.get())).isFalse();
    }
}
