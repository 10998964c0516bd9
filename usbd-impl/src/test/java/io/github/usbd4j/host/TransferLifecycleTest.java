package io.github.usbd4j.host;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.TransferNotifyRoutine;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.contract.ForwardingBackend;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The transfer lifecycle races of a CE port ([§1.5](reference/ce-usbd.html#s1-5), [§1.7](reference/ce-usbd.html#s1-7)):
 * closing a sibling transfer from a callback, an unplug while callbacks resubmit into a vanished device, and a second
 * close of a closed handle. Each used to hang, stall or alias a live transfer.
 */
class TransferLifecycleTest {

    private static final Duration DEADLOCK = Duration.ofSeconds(30);

    private static int[] lengths(int frames, int length) {
        int[] l = new int[frames];
        Arrays.fill(l, length);
        return l;
    }

    private static UsbTransfer isoIn(UsbFuncs f, UsbPipe in, TransferNotifyRoutine cb, int frames) {
        return f.issueIsochTransfer(
                in,
                cb,
                null,
                USB_IN_TRANSFER | USB_START_ISOCH_ASAP | USB_SHORT_TRANSFER_OK,
                0,
                frames,
                lengths(frames, 512),
                ByteBuffer.allocate(frames * 512),
                0);
    }

    // ---- a sibling closed from a callback (CE closes wait for fComplete, not for the callback) ----------

    /**
     * A driver with A and B pending on one pipe closes B from A's callback (a stream stopped from its
     * completion routine). B's callback is queued behind A's, so CloseTransfer must not wait for it: it
     * returns TRUE once B is complete ([§1.7](reference/ce-usbd.html#s1-7)), and B's callback still runs, once, after
     * A's.
     */
    @Test
    void closingASiblingFromACallback_returnsTrueAtOnce_andTheSiblingsCallbackRunsOnce_virtualClock_1_7()
            throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            try (CeRig h = CeRig.virtual(LoopbackDevice.fullSpeed())) {
                UsbPipe in = h.open(0, 1, 0x81);
                AtomicReference<UsbTransfer> b = new AtomicReference<>();
                AtomicInteger aCalls = new AtomicInteger();
                AtomicInteger bCalls = new AtomicInteger();
                AtomicReference<Boolean> closedB = new AtomicReference<>();
                AtomicLong framesInClose = new AtomicLong(-1);
                AtomicInteger bCallsWhenClosed = new AtomicInteger(-1);
                UsbTransfer a = isoIn(
                        h.f,
                        in,
                        p -> {
                            aCalls.incrementAndGet();
                            long before = h.sim.currentFrame();
                            closedB.set(h.f.closeTransfer(b.get()));
                            framesInClose.set(h.sim.currentFrame() - before);
                            bCallsWhenClosed.set(bCalls.get());
                            return 0;
                        },
                        8);
                b.set(isoIn(h.f, in, p -> bCalls.incrementAndGet(), 8));
                h.sim.advanceFrames(40);

                assertThat(aCalls).hasValue(1);
                assertThat(closedB.get())
                        .as("CloseTransfer(B) from A's callback")
                        .isTrue();
                assertThat(framesInClose.get())
                        .as("bus frames CloseTransfer(B) took (CE's bound: 1000)")
                        .isBetween(0L, 999L);
                assertThat(bCallsWhenClosed)
                        .as("B's callback had not run when the close returned")
                        .hasValue(0);
                assertThat(bCalls).as("B's callback ran exactly once").hasValue(1);
                assertThat(h.f.closeTransfer(a)).isTrue();
            }
        });
    }

    /** The same on the real-time clock, where callbacks run on the callback executor. */
    @Test
    void closingASiblingFromACallback_returnsTrueWithinCesBound_andTheSiblingsCallbackRunsOnce_realTimeClock_1_7()
            throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            try (CeRig h = CeRig.realTime(LoopbackDevice.fullSpeed(), backend -> backend)) {
                UsbPipe in = h.open(0, 1, 0x81);
                AtomicReference<UsbTransfer> b = new AtomicReference<>();
                AtomicInteger bCalls = new AtomicInteger();
                CountDownLatch bCalled = new CountDownLatch(1);
                AtomicReference<Boolean> closedB = new AtomicReference<>();
                AtomicLong closeNanos = new AtomicLong(-1);
                AtomicInteger bCallsWhenClosed = new AtomicInteger(-1);
                UsbTransfer a = isoIn(
                        h.f,
                        in,
                        p -> {
                            long t0 = System.nanoTime();
                            closedB.set(h.f.closeTransfer(b.get()));
                            closeNanos.set(System.nanoTime() - t0);
                            bCallsWhenClosed.set(bCalls.get());
                            return 0;
                        },
                        8);
                b.set(isoIn(
                        h.f,
                        in,
                        p -> {
                            bCalls.incrementAndGet();
                            bCalled.countDown();
                            return 0;
                        },
                        64));
                bCalled.await(); // bounded by DEADLOCK only
                assertThat(closedB.get()).isTrue();
                assertThat(bCallsWhenClosed)
                        .as("B's callback had not run when the close returned")
                        .hasValue(0);
                // CE's own bound, not a speed: a close that waited for B's callback (queued behind A's) would wait
                // all of it; the virtual-clock twin checks the same in bus frames
                assertThat(closeNanos.get() / 1_000_000)
                        .as("ms CloseTransfer(B) took (CE's bound: 1000 x 1 ms)")
                        .isLessThan(1500);
                assertThat(h.f.closeTransfer(a)).isTrue();
                h.usbd.close(); // returns when every callback has run: a second one of B's would have come by now
                assertThat(bCalls).hasValue(1);
            }
        });
    }

    // ---- an unplug while callbacks resubmit into the vanished device -------------------------------

    /** A CE stream that resubmits from every callback, whatever the outcome (a naive driver). */
    private static final class Resubmitter {
        final CeRig h;
        final UsbPipe pipe;
        final AtomicInteger failedResubmits = new AtomicInteger();
        final AtomicInteger callbacksAfterCloseDevice = new AtomicInteger();
        /** Counted down by the callbacks: open once the stream has run a while. */
        final CountDownLatch streaming = new CountDownLatch(8);

        final UsbTransfer[] slots = new UsbTransfer[4];

        Resubmitter(CeRig h, UsbPipe pipe) {
            this.h = h;
            this.pipe = pipe;
            for (int i = 0; i < slots.length; i++) {
                issue(i);
            }
        }

        private void issue(int i) {
            UsbTransfer t = isoIn(h.f, pipe, p -> done((Integer) p), 8, i);
            synchronized (this) {
                slots[i] = t;
            }
            if (t == null) {
                failedResubmits.incrementAndGet();
            }
        }

        private int done(int i) {
            if (h.closeDeviceCount() > 0) {
                callbacksAfterCloseDevice.incrementAndGet();
            }
            streaming.countDown();
            UsbTransfer finished;
            synchronized (this) {
                finished = slots[i];
            }
            issue(i); // the next one first, then close the finished one, as many drivers do
            if (finished != null) {
                h.f.closeTransfer(finished);
            }
            return 0;
        }
    }

    private static UsbTransfer isoIn(UsbFuncs f, UsbPipe in, TransferNotifyRoutine cb, int frames, int slot) {
        return f.issueIsochTransfer(
                in,
                cb,
                slot,
                USB_IN_TRANSFER | USB_START_ISOCH_ASAP | USB_SHORT_TRANSFER_OK,
                0,
                frames,
                lengths(frames, 512),
                ByteBuffer.allocate(frames * 512),
                0);
    }

    /**
     * Unplug mid-stream on the virtual clock: USB_CLOSE_DEVICE follows within 100 ms of bus time
     * ([§1.5](reference/ce-usbd.html#s1-5)).
     */
    @Test
    void unplugWhileCallbacksResubmit_deliversCloseDeviceWithin100msOfBusTime_virtualClock_1_5() throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            try (CeRig h = CeRig.virtual(LoopbackDevice.fullSpeed())) {
                UsbPipe in = h.open(0, 1, 0x81);
                Resubmitter r = new Resubmitter(h, in);
                h.sim.advanceFrames(100);
                long unplugged = h.sim.currentFrame();
                h.sim.detach(h.plugged);
                for (int i = 0; i < 1000 && h.closeDeviceCount() == 0; i++) {
                    h.sim.advanceFrames(1);
                }
                assertThat(h.closeDeviceCount()).isEqualTo(1);
                assertThat(h.closeDeviceFrame - unplugged)
                        .as("bus frames from unplug to USB_CLOSE_DEVICE")
                        .isLessThanOrEqualTo(100);
                assertThat(r.failedResubmits.get()).as("resubmits that failed").isPositive();
                assertThat(r.callbacksAfterCloseDevice).hasValue(0);
            }
        });
    }

    /**
     * The same on the real-time clock, with a backend whose refusal of a submission to a vanished device
     * takes a while (as an ioctl on a dying device can) and that reports the departure a little late, so
     * that the runtime's detach meets the failing resubmits half-way. USB_CLOSE_DEVICE must still follow
     * within a second.
     */
    @Test
    void unplugWhileCallbacksResubmit_deliversCloseDeviceWithinASecond_realTimeClock_1_5() throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            try (CeRig h = CeRig.realTime(LoopbackDevice.fullSpeed(), SlowRefusals::new)) {
                UsbPipe in = h.open(0, 1, 0x81);
                Resubmitter r = new Resubmitter(h, in);
                r.streaming.await(); // mid-stream: eight callbacks have resubmitted
                long t0 = System.nanoTime();
                h.sim.detach(h.plugged);
                h.closeDevice.await(); // bounded by DEADLOCK only
                assertThat((h.closeDeviceNanos - t0) / 1_000_000)
                        .as("ms from unplug to USB_CLOSE_DEVICE")
                        .isLessThan(1000);
                assertThat(r.failedResubmits.get()).as("resubmits that failed").isPositive();
                h.usbd.close(); // returns when every callback has run: one after USB_CLOSE_DEVICE would have come
                assertThat(r.callbacksAfterCloseDevice).hasValue(0);
            }
        });
    }

    /** Refuses a submission to a vanished device after 300 ms, and reports departures 50 ms late. */
    private static final class SlowRefusals extends ForwardingBackend {
        SlowRefusals(io.github.usbd4j.host.spi.HostController inner) {
            super(inner);
        }

        @Override
        protected void submitRefused(BackendTransfer transfer, BackendException refusal) {
            if (refusal.status() == PacketStatus.DEVICE_GONE) {
                sleep(300);
            }
        }

        @Override
        protected void beforeDetached(io.github.usbd4j.host.spi.BackendDevice device) {
            sleep(50);
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- a second close of a closed handle ----------------------------------------------------------

    private static UsbTransfer bulkIn(UsbFuncs f, UsbPipe in, TransferNotifyRoutine cb) {
        return f.issueBulkTransfer(in, cb, null, USB_IN_TRANSFER | USB_NO_WAIT, 64, ByteBuffer.allocate(64), 0);
    }

    private static void assertInvalidHandle(boolean result) {
        assertThat(result).isFalse();
        assertThat(Win32.errorName(Win32.getLastError())).isEqualTo(Win32.errorName(ERROR_INVALID_HANDLE));
    }

    /**
     * A buggy driver closes a handle twice. The second close, and every other call with the stale handle,
     * answers FALSE with ERROR_INVALID_HANDLE ([§1.7](reference/ce-usbd.html#s1-7) rule c) and leaves the pipe's live
     * transfer alone, also after 10,000 further transfers on that pipe.
     */
    @Test
    void secondCloseOfAClosedHandle_isInvalidHandle_andLeavesLiveTransfersAlone_alsoAfter10000Transfers_1_7()
            throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            try (CeRig h = CeRig.virtual(LoopbackDevice.fullSpeed())) {
                UsbPipe in = h.open(1, 0, 0x82); // bulk IN: NAKs while the device has nothing, so it stays pending
                AtomicInteger c1 = new AtomicInteger();
                AtomicInteger c2 = new AtomicInteger();
                UsbTransfer t1 = bulkIn(h.f, in, p -> c1.incrementAndGet());
                h.sim.advanceFrames(2);
                assertThat(h.f.closeTransfer(t1)).isTrue();
                h.sim.advanceFrames(2);
                assertThat(c1).hasValue(1);

                UsbTransfer t2 = bulkIn(h.f, in, p -> c2.incrementAndGet());
                h.sim.advanceFrames(2);
                assertStale(h, t1);
                h.sim.advanceFrames(2);
                assertThat(h.f.isTransferComplete(t2))
                        .as("the live transfer is still pending")
                        .isFalse();
                assertThat(c2).hasValue(0);

                for (int i = 0; i < 10_000; i++) {
                    UsbTransfer t = bulkIn(h.f, in, null);
                    assertThat(t).isNotNull();
                    if (i % 2 == 0) {
                        h.sim.advanceFrames(1);
                    }
                    assertThat(h.f.closeTransfer(t)).isTrue();
                }
                assertStale(h, t1);
                h.sim.advanceFrames(2);
                assertThat(h.f.isTransferComplete(t2)).isFalse();
                assertThat(c2).hasValue(0);
                assertThat(c1).hasValue(1);

                assertThat(h.f.closeTransfer(t2)).isTrue();
                h.sim.advanceFrames(2);
                assertThat(c2).hasValue(1);
                assertStale(h, t2);
            }
        });
    }

    /**
     * The handle quarantine ([§1.7](reference/ce-usbd.html#s1-7) rule c, {@code Usbd.Builder.transferHandleQuarantine}):
     * with room for 2, a closed handle's object names no new transfer until 2 later transfers of its pipe have been
     * closed and finished; then the oldest is reused, in order, and every call through it before that is
     * ERROR_INVALID_HANDLE.
     */
    @Test
    void aClosedHandle_isReusedOnlyAfterTheQuarantine_oldestFirst_1_7() throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            try (CeRig h = CeRig.virtual(LoopbackDevice.fullSpeed(), b -> b.transferHandleQuarantine(2))) {
                UsbPipe out = h.open(1, 0, 0x02);
                java.util.List<UsbTransfer> handles = new java.util.ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    UsbTransfer t = bulkOut(h.f, out, null);
                    assertThat(t).isNotNull();
                    for (int j = 0; j < handles.size(); j++) {
                        if (j < i - 3) {
                            continue; // reused already: it names a later transfer
                        }
                        if (j == i - 3) {
                            assertThat(t)
                                    .as("transfer %d reuses the handle of transfer %d", i, j)
                                    .isSameAs(handles.get(j));
                        } else {
                            assertThat(t)
                                    .as("transfer %d, handle of transfer %d", i, j)
                                    .isNotSameAs(handles.get(j));
                            assertStale(h, handles.get(j));
                        }
                    }
                    handles.add(t);
                    h.sim.advanceFrames(2);
                    assertThat(h.f.isTransferComplete(t)).isTrue();
                    assertThat(h.f.closeTransfer(t)).isTrue();
                }
            }
        });
    }

    /**
     * A handle closed in its own callback waits out the quarantine from when that callback has returned: its
     * object never names a new transfer while the transfer it named is unfinished, even when the quarantine is
     * full enough to hand out its oldest handle then ([§1.7](reference/ce-usbd.html#s1-7)).
     */
    @Test
    void aHandleClosedInItsCallback_isNotReusedWhileTheCallbackRuns_1_7() throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            try (CeRig h = CeRig.virtual(LoopbackDevice.fullSpeed(), b -> b.transferHandleQuarantine(1))) {
                UsbPipe out = h.open(1, 0, 0x02);
                UsbTransfer done = bulkOut(h.f, out, null); // complete and not closed: closed in the callback below
                UsbTransfer[] self = new UsbTransfer[1];
                UsbTransfer[] issued = new UsbTransfer[1];
                boolean[] steps = new boolean[3];
                self[0] = bulkOut(h.f, out, p -> {
                    steps[0] = h.f.isTransferComplete(done);
                    steps[1] = h.f.closeTransfer(self[0]);
                    steps[2] = h.f.closeTransfer(done); // finished at once: it waits in the quarantine
                    issued[0] = bulkOut(h.f, out, null);
                    return 0;
                });
                h.sim.advanceFrames(4);
                assertThat(steps).as("done complete, self and done closed").containsExactly(true, true, true);
                assertThat(issued[0]).isNotNull().isNotSameAs(self[0]).isNotSameAs(done);
                assertStale(h, self[0]);
                assertThat(h.f.closeTransfer(issued[0])).isTrue();
            }
        });
    }

    /**
     * A callback that throws an Error (not an exception the runtime can report and go on from) ends its own
     * callback thread's drain; the pipe's later callbacks still run, once each and in completion order, on
     * another task of the executor ([§1.7](reference/ce-usbd.html#s1-7)).
     */
    @Test
    void anErrorEscapingACallback_leavesThePipesLaterCallbacksToRun_inOrder_1_7() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            CeRig.bounded(DEADLOCK, () -> {
                try (CeRig h = CeRig.virtual(LoopbackDevice.fullSpeed(), b -> b.callbackExecutor(pool))) {
                    UsbPipe out = h.open(1, 0, 0x02);
                    java.util.List<Integer> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
                    UsbTransfer[] t = new UsbTransfer[4];
                    for (int i = 0; i < t.length; i++) {
                        int n = i;
                        t[i] = bulkOut(h.f, out, p -> {
                            ran.add(n);
                            if (n == 0) {
                                throw new StackOverflowError("test: an Error escapes the first callback");
                            }
                            return 0;
                        });
                    }
                    h.sim.advanceFrames(8);
                    org.awaitility.Awaitility.await()
                            .dontCatchUncaughtExceptions() // the Error ends the pool's thread, as it should
                            .atMost(DEADLOCK)
                            .untilAsserted(() -> assertThat(ran).containsExactly(0, 1, 2, 3));
                    for (UsbTransfer x : t) {
                        assertThat(h.f.closeTransfer(x)).isTrue();
                    }
                }
            });
        } finally {
            pool.shutdownNow();
        }
    }

    private static UsbTransfer bulkOut(UsbFuncs f, UsbPipe out, TransferNotifyRoutine cb) {
        return f.issueBulkTransfer(out, cb, null, USB_NO_WAIT, 8, ByteBuffer.allocate(8), 0);
    }

    private static void assertStale(CeRig h, UsbTransfer t) {
        assertInvalidHandle(h.f.closeTransfer(t));
        assertInvalidHandle(h.f.abortTransfer(t, 0));
        assertInvalidHandle(h.f.isTransferComplete(t));
        assertInvalidHandle(h.f.getTransferStatus(t, new int[1], new int[1]));
        assertInvalidHandle(h.f.getIsochResults(t, 1, new int[1], new int[1]));
        t.close(); // UsbTransfer.close() of a closed handle: no effect
        t.abort();
    }

    // ---- newest first ---------------------------------------------------------------------------------

    /**
     * Three pending transfers on one pipe: abort-pipe, close-pipe and detach cancel them newest first, as
     * the kernel's usb_kill_anchored_urbs does, so a later transfer cannot start in a gap an earlier one left.
     */
    @Test
    void abortPipe_closePipe_andDetach_cancelNewestFirst_1_5_1_10() throws Exception {
        CeRig.bounded(DEADLOCK, () -> {
            for (String how : new String[] {"abortPipe", "closePipe", "detach"}) {
                CeRig h = CeRig.virtual(LoopbackDevice.fullSpeed());
                java.util.List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
                h.f.registerNotificationRoutine(
                        h.device,
                        (param, code, i1, i2, i3, i4) -> {
                            order.add("close device");
                            return true;
                        },
                        null);
                UsbPipe in = h.open(1, 0, 0x82);
                for (String name : new String[] {"a", "b", "c"}) {
                    assertThat(h.f.issueBulkTransfer(
                                    in,
                                    p -> order.add((String) p) ? 0 : 1,
                                    name,
                                    USB_IN_TRANSFER,
                                    64,
                                    ByteBuffer.allocate(64),
                                    0))
                            .isNotNull();
                }
                h.sim.advanceFrames(3);
                switch (how) {
                    case "abortPipe" ->
                        assertThat(h.f.abortPipeTransfers(in, 0)).isTrue();
                    case "closePipe" -> assertThat(h.f.closePipe(in)).isTrue();
                    default -> h.usbd.close();
                }
                assertThat(order).as(how).startsWith("c", "b", "a").hasSize(how.equals("detach") ? 4 : 3);
                h.close();
            }
        });
    }
}
