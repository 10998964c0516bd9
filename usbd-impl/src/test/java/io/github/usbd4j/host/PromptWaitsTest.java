package io.github.usbd4j.host;

import static io.github.usbd4j.ce.UsbTypes.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.usb.UsbDeviceRequest;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The bounded waits of USBD ({@code CloseTransfer}'s 1000 ms, {@code AbortTransfer}'s 10 s, the synchronous
 * guard, a pipe close's wait for callbacks; [§1.7](reference/ce-usbd.html#s1-7),
 * [§1.10](reference/ce-usbd.html#s1-10)) are not waited out in the flows drivers use: closing or aborting a
 * sibling from a callback, whether its completion is still to come or its callback is queued behind the
 * caller's, closing the pipe from a callback, closing everything from the USB_CLOSE_DEVICE notification, and an
 * unplug during a synchronous transfer, also one made in a callback. Bus time, on the virtual clock.
 */
class PromptWaitsTest {
    private CeHost h;

    @AfterEach
    void tearDown() {
        if (h != null) {
            h.close();
        }
    }

    private UsbPipe[] loopbackBulk() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
        return new UsbPipe[] {h.open(1, 0, 0x02), h.open(1, 0, 0x82)};
    }

    private void send(UsbPipe out, int n) {
        h.f.closeTransfer(h.f.issueBulkTransfer(out, null, null, 0, n, ByteBuffer.allocate(n), 0));
    }

    @Test
    void anUnplugDuringASynchronousTransfer_endsItAtTheUnplug() {
        UsbPipe[] p = loopbackBulk();
        long start = h.sim.currentFrame();
        h.sim.scheduleDetach(h.simDevice, start + 20);
        UsbTransfer t = h.f.issueBulkTransfer(p[1], null, null, USB_IN_TRANSFER, 64, ByteBuffer.allocate(64), 0);
        assertThat(h.sim.currentFrame() - start)
                .as("frames: the unplug, not the guard, ends it")
                .isBetween(20L, 21L);
        assertThat(t).isNotNull();
        assertThat(h.error(t)).isEqualTo(USB_CANCELED_ERROR);
    }

    /** In A's callback: an operation on B, pending on the same pipe (its completion queues behind A's). */
    private void inCallbackOnSibling(
            String what, java.util.function.BiConsumer<UsbPipe, UsbTransfer> op, boolean bComplete) {
        UsbPipe[] p = loopbackBulk();
        AtomicReference<UsbTransfer> b = new AtomicReference<>();
        AtomicLong spent = new AtomicLong(-1);
        UsbTransfer a = h.f.issueBulkTransfer(
                p[1],
                x -> {
                    long s = h.sim.currentFrame();
                    op.accept(p[1], b.get());
                    spent.set(h.sim.currentFrame() - s);
                    return 1;
                },
                null,
                USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK,
                64,
                ByteBuffer.allocate(64),
                0);
        assertThat(a).isNotNull();
        b.set(h.f.issueBulkTransfer(
                p[1], x -> 1, null, USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK, 64, ByteBuffer.allocate(64), 0));
        if (bComplete) {
            // both complete in one frame: B's callback is queued behind A's
            h.f.issueBulkTransfer(p[0], null, null, USB_NO_WAIT, 10, ByteBuffer.allocate(10), 0);
            h.f.issueBulkTransfer(p[0], null, null, USB_NO_WAIT, 10, ByteBuffer.allocate(10), 0);
        } else {
            send(p[0], 10);
        }
        assertThat(h.sim.runUntil(() -> spent.get() >= 0, 100)).isTrue();
        assertThat(spent.get()).as("%s in a callback, bus frames", what).isZero();
    }

    @Test
    void closeTransferOfAPendingSibling_fromACallback_isPrompt() {
        inCallbackOnSibling("closeTransfer", (pipe, b) -> h.f.closeTransfer(b), false);
    }

    @Test
    void closeTransferOfASiblingWhoseCallbackIsQueued_fromACallback_isPrompt() {
        inCallbackOnSibling("closeTransfer", (pipe, b) -> h.f.closeTransfer(b), true);
    }

    @Test
    void abortTransferOfAPendingSibling_fromACallback_isPrompt() {
        inCallbackOnSibling("abortTransfer", (pipe, b) -> h.f.abortTransfer(b, 0), false);
    }

    @Test
    void abortTransferOfASiblingWhoseCallbackIsQueued_fromACallback_isPrompt() {
        inCallbackOnSibling("abortTransfer", (pipe, b) -> h.f.abortTransfer(b, 0), true);
    }

    @Test
    void abortPipeTransfers_fromACallback_withASiblingPending_isPrompt() {
        inCallbackOnSibling("abortPipeTransfers", (pipe, b) -> h.f.abortPipeTransfers(pipe, 0), false);
    }

    @Test
    void abortPipeTransfers_fromACallback_withASiblingsCallbackQueued_isPrompt() {
        inCallbackOnSibling("abortPipeTransfers", (pipe, b) -> h.f.abortPipeTransfers(pipe, 0), true);
    }

    @Test
    void closePipe_fromACallback_withASiblingPending_isPrompt() {
        inCallbackOnSibling("closePipe", (pipe, b) -> h.f.closePipe(pipe), false);
    }

    @Test
    void closePipe_fromACallback_withASiblingsCallbackQueued_isPrompt() {
        inCallbackOnSibling("closePipe", (pipe, b) -> h.f.closePipe(pipe), true);
    }

    @Test
    void theCloseDeviceNotification_closingTransfersAndPipes_isPrompt() {
        UsbPipe[] p = loopbackBulk();
        UsbTransfer pending =
                h.f.issueBulkTransfer(p[1], x -> 1, null, USB_IN_TRANSFER, 64, ByteBuffer.allocate(64), 0);
        h.f.registerNotificationRoutine(
                h.device,
                (param, code, i1, i2, i3, i4) -> {
                    h.f.closeTransfer(pending);
                    h.f.closePipe(p[0]);
                    h.f.closePipe(p[1]);
                    return true;
                },
                null);
        long s = h.sim.currentFrame();
        h.sim.detach(h.simDevice);
        assertThat(h.sim.currentFrame() - s).as("bus frames of the detach").isZero();
        assertThat(h.f.isTransferComplete(pending))
                .as("closed in the notification")
                .isFalse();
    }

    @Test
    void anUnplugDuringSynchronousTransfersMadeInACallback_endsThemAtTheUnplug() {
        UsbPipe[] p = loopbackBulk();
        AtomicLong spent = new AtomicLong(-1);
        h.f.issueBulkTransfer(
                p[0],
                x -> {
                    long s = h.sim.currentFrame();
                    h.sim.scheduleDetach(h.simDevice, s + 10);
                    h.f.issueBulkTransfer(
                            p[1], null, null, USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK, 64, ByteBuffer.allocate(64), 0);
                    h.f.issueBulkTransfer(
                            p[1], null, null, USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK, 64, ByteBuffer.allocate(64), 0);
                    spent.set(h.sim.currentFrame() - s);
                    return 1;
                },
                null,
                0,
                1,
                ByteBuffer.allocate(1),
                0);
        assertThat(h.sim.runUntil(() -> spent.get() >= 0, 100)).isTrue();
        assertThat(spent.get()).as("frames: the unplug ends both").isBetween(10L, 11L);
    }

    @Test
    void closeTransferOfItsOwnTransfer_fromItsCallback_isPrompt() {
        UsbPipe[] p = loopbackBulk();
        AtomicReference<UsbTransfer> self = new AtomicReference<>();
        AtomicLong spent = new AtomicLong(-1);
        self.set(h.f.issueBulkTransfer(
                p[1],
                x -> {
                    long s = h.sim.currentFrame();
                    h.f.closeTransfer(self.get());
                    spent.set(h.sim.currentFrame() - s);
                    return 1;
                },
                null,
                USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK,
                64,
                ByteBuffer.allocate(64),
                0));
        send(p[0], 10);
        assertThat(h.sim.runUntil(() -> spent.get() >= 0, 100)).isTrue();
        assertThat(spent.get()).isZero();
    }

    /**
     * A bound on a hang, never reached when the code is right: a test that must not wait runs with the runtime's
     * close waits unbounded ({@link Usbd#boundCloseWaits}), so a wait for its own callback fails it here instead of
     * being timed on the wall clock.
     */
    private static final Duration HANG_GUARD = Duration.ofSeconds(30);

    private static final long UNBOUNDED_MILLIS = TimeUnit.HOURS.toMillis(1);

    /**
     * {@code Usbd.close()} from a transfer's callback (an application that stops on what a callback saw) returns at
     * once: the detaches it starts finish when the callback returns, the USB_CLOSE_DEVICE notification included. It
     * waited 10 s (wall clock, on a virtual bus too) for its own callback to return; with the waits unbounded that is
     * a hang.
     */
    @Test
    void closingTheRuntimeFromACallback_returnsAtOnce_andTheDetachFinishesAfterIt() throws Exception {
        UsbPipe[] p = loopbackBulk();
        h.usbd.boundCloseWaits(UNBOUNDED_MILLIS);
        AtomicReference<List<Integer>> whenClosed = new AtomicReference<>();
        try {
            CeRig.bounded(HANG_GUARD, () -> {
                h.f.issueBulkTransfer(
                        p[1],
                        x -> {
                            h.usbd.close();
                            whenClosed.set(List.copyOf(h.notifications));
                            return 1;
                        },
                        null,
                        USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK,
                        64,
                        ByteBuffer.allocate(64),
                        0);
                send(p[0], 10);
                assertThat(h.sim.runUntil(() -> whenClosed.get() != null, 100)).isTrue();
            });
        } finally {
            h.usbd.boundCloseWaits(1); // after a hang, the tear-down's close must not wait an hour
        }

        assertThat(whenClosed.get())
                .as("notifications when Usbd.close() returned in the callback")
                .isEmpty();
        assertThat(h.notifications).containsExactly(USB_CLOSE_DEVICE);
        assertThat(h.usbd.devices()).isEmpty();
    }

    /**
     * The same on a real-time bus, where the callback runs on a thread of the runtime's callback executor: the close
     * does not wait for that executor (which ends when the callback returns), and the detach finishes when the
     * callback returns although the close has ended the runtime's attach thread. Nothing is timed: the waits are
     * unbounded, so a wait for itself would be a hang.
     */
    @Test
    void closingTheRuntimeFromACallbackOnARealTimeBus_returnsAtOnce() throws Exception {
        SimulatedHostController sim = SimulatedHostController.builder()
                .clockMode(SimulatedHostController.ClockMode.REAL_TIME)
                .build();
        CountDownLatch attached = new CountDownLatch(1);
        Usbd usbd = Usbd.builder().backend(sim).build();
        usbd.boundCloseWaits(UNBOUNDED_MILLIS);
        try {
            CeRig.bounded(HANG_GUARD, () -> {
                usbd.registerDriver(
                        "closer",
                        UsbDriverSettings.forVendor(
                                LoopbackDevice.fullSpeed().deviceDescriptor().idVendor(),
                                LoopbackDevice.fullSpeed().deviceDescriptor().idProduct()),
                        (hDevice, funcs, iface, id, accept, settings, unused) -> {
                            accept[0] = true;
                            attached.countDown();
                            return true;
                        });
                sim.attach(LoopbackDevice.fullSpeed());
                attached.await(); // USBDeviceAttach runs on the runtime's attach thread
                UsbHandle device = usbd.devices().get(0);
                CompletableFuture<Void> closed = new CompletableFuture<>();
                UsbDeviceRequest counters = new UsbDeviceRequest(0xC0, LoopbackDevice.REQUEST_COUNTERS, 0, 0, 16);
                UsbTransfer t = usbd.funcs()
                        .issueVendorTransfer(
                                device,
                                x -> {
                                    usbd.close();
                                    closed.complete(null);
                                    return 1;
                                },
                                null,
                                USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK,
                                counters,
                                ByteBuffer.allocate(16),
                                0);
                assertThat(t).isNotNull();
                closed.get(); // Usbd.close() returned in the callback
                usbd.close(); // returns once the detach has finished, which the callback's return allowed
                assertThat(usbd.devices()).isEmpty();
            });
        } finally {
            usbd.boundCloseWaits(1); // a hang above leaves nothing to wait for here
            usbd.close();
        }
    }
}
