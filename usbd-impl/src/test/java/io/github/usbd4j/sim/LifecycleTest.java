package io.github.usbd4j.sim;

import static io.github.usbd4j.host.spi.PacketStatus.CANCELED;
import static io.github.usbd4j.host.spi.PacketStatus.DEVICE_GONE;
import static io.github.usbd4j.host.spi.PacketStatus.NOT_ACCESSED;
import static io.github.usbd4j.host.spi.PacketStatus.OK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cancel, detach, vanishing devices, re-entrant submission, bandwidth, the clock. */
class LifecycleTest {

    @Test
    void cancelKeepsPacketsThatRanAndCompletesOnce() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        SimulatedDevice d = b.attach(new ProbeDevice(UsbSpeed.FULL, 64, 1, 1));
        b.setInterface(d, 0, 1);
        long start = b.host.currentFrame() + 1;
        BackendTransfer t = b.iso(d, 0x81, start, 1, ByteBuffer.allocate(64), Bench.lengths(5, 8));
        b.host.advanceTo(start + 2);
        b.completed.clear();
        d.cancel(t);
        assertThat(b.completed).containsExactly(t);
        assertThat(t.status()).isEqualTo(CANCELED);
        assertThat(Bench.statuses(t)).containsExactly(OK, OK, NOT_ACCESSED, NOT_ACCESSED, NOT_ACCESSED);
        assertThat(t.actualLength()).isEqualTo(16);
        d.cancel(t);
        b.host.advanceFrames(10);
        assertThat(b.completed).containsExactly(t);
    }

    /**
     * A detach listener (for a user of one device that does not own the host's listener) runs once, after
     * the pending transfers completed and the host's listener heard of the departure, on the thread that
     * detaches; one added afterwards runs at once; one removed never runs.
     */
    @Test
    void detachListenersRunOnceAfterTheDepartureWasReported() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        SimulatedDevice d = b.attach(LoopbackDevice.fullSpeed());
        BackendTransfer bulk = b.bulk(d, TransferType.BULK, 0x82, ByteBuffer.allocate(64), 64, false);
        b.events.clear();
        Thread detaching = Thread.currentThread();
        d.addDetachListener(() ->
                b.events.add("listener on " + (Thread.currentThread() == detaching ? "detaching thread" : "another")));
        Runnable removed = () -> b.events.add("removed listener");
        d.addDetachListener(removed);
        d.removeDetachListener(removed);
        b.host.detach(d);
        b.host.detach(d);
        assertThat(b.events)
                .containsExactly("completed 82 DEVICE_GONE", "detached sim:1-1", "listener on detaching thread");
        assertThat(bulk.status()).isEqualTo(DEVICE_GONE);
        d.addDetachListener(() -> b.events.add("late listener"));
        assertThat(b.events).endsWith("late listener");
    }

    @Test
    void detachCompletesPendingTransfersDeviceGoneBeforeReportingTheDeparture() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        SimulatedDevice d = b.attach(LoopbackDevice.fullSpeed());
        b.setInterface(d, 0, 1);
        long start = b.host.currentFrame() + 1;
        BackendTransfer iso = b.iso(d, 0x81, start, 1, ByteBuffer.allocate(4 * 100), Bench.lengths(4, 100));
        BackendTransfer bulk = b.bulk(d, TransferType.BULK, 0x82, ByteBuffer.allocate(64), 64, false);
        b.host.advanceTo(start + 1);
        b.events.clear();
        b.host.detach(d);
        assertThat(b.events)
                .containsExactly("completed 81 DEVICE_GONE", "completed 82 DEVICE_GONE", "detached sim:1-1");
        assertThat(Bench.statuses(iso)).containsExactly(OK, NOT_ACCESSED, NOT_ACCESSED, NOT_ACCESSED);
        assertThat(bulk.status()).isEqualTo(DEVICE_GONE);
        assertThat(d.isAttached()).isFalse();
        assertThatThrownBy(() -> b.iso(d, 0x81, start + 5, 1, ByteBuffer.allocate(100), 100))
                .isInstanceOfSatisfying(
                        BackendException.class, e -> assertThat(e.status()).isEqualTo(DEVICE_GONE));
    }

    @Test
    void deviceVanishingAtFrameNRunsNothingOfThatFrame() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        long vanish = 20;
        SimulatedDevice d = b.attach(
                new ProbeDevice(UsbSpeed.FULL, 64, 1, 1),
                FaultPlan.builder().vanishAt(vanish).build());
        b.setInterface(d, 0, 1);
        BackendTransfer t = b.iso(d, 0x81, vanish - 3, 1, ByteBuffer.allocate(64), Bench.lengths(6, 8));
        b.host.advanceFrames(30);
        assertThat(Bench.statuses(t)).containsExactly(OK, OK, OK, NOT_ACCESSED, NOT_ACCESSED, NOT_ACCESSED);
        assertThat(t.status()).isEqualTo(DEVICE_GONE);
        assertThat(b.completedAtFrame).last().isEqualTo(vanish);
        assertThat(b.events).endsWith("completed 81 DEVICE_GONE", "detached sim:1-1");
        assertThat(d.injectedFaults()).containsExactly(new InjectedFault(vanish, 0, 0, DEVICE_GONE));
    }

    @Test
    void scheduleDetachAndReattachAsANewArrival() throws BackendException {
        Bench b = Bench.of(UsbSpeed.HIGH);
        SimulatedDevice d = b.attach(LoopbackDevice.highSpeed());
        b.host.scheduleDetach(d, 5);
        b.host.advanceFrames(4);
        assertThat(d.isAttached()).isTrue();
        b.host.advanceFrames(2);
        assertThat(d.isAttached()).isFalse();
        SimulatedDevice again = b.host.attach(d.model());
        assertThat(b.events).containsExactly("attached sim:1-1", "detached sim:1-1", "attached sim:1-2");
        assertThat(b.host.devices()).containsExactly(again);
    }

    @Test
    void completionListenerMayResubmitAndTheStreamHasNoGaps() throws BackendException {
        SimulatedHostController host = SimulatedHostController.builder().build();
        Bench b = new Bench(host);
        ProbeDevice probe = new ProbeDevice(UsbSpeed.FULL, 64, 1, 1);
        SimulatedDevice d = b.attach(probe);
        b.setInterface(d, 0, 1);
        List<Long> starts = new ArrayList<>();
        long[] next = {host.currentFrame() + 2};
        ByteBuffer buf = ByteBuffer.allocate(4 * 8);
        int[] lengths = Bench.lengths(4, 8);
        BackendTransfer.Listener[] self = new BackendTransfer.Listener[1];
        self[0] = t -> {
            starts.add(t.actualStartFrame());
            assertThat(Bench.statuses(t)).containsOnly(OK);
            if (starts.size() < 10) {
                next[0] += 4;
                t.isochronous(0x81, buf, 0, next[0], 1, lengths, 4);
                try {
                    d.submit(t); // re-entrant, on the bus thread
                } catch (BackendException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        BackendTransfer a = new BackendTransfer(self[0]).isochronous(0x81, buf, 0, next[0], 1, lengths, 4);
        d.submit(a);
        assertThat(host.runUntil(() -> starts.size() == 10, 100)).isTrue();
        long first = starts.get(0);
        assertThat(probe.ins).hasSize(40);
        for (int i = 0; i < 40; i++) {
            assertThat(probe.ins.get(i).frame()).isEqualTo(first + i);
        }
    }

    @Test
    void periodicBandwidthIsRefusedBeyondNinetyPercentOfAFullSpeedFrame() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        SimulatedDevice d = b.attach(LoopbackDevice.fullSpeed());
        SimulatedDevice e = b.attach(LoopbackDevice.fullSpeed());
        // 1023 + 9 = 1032 of 1350 bytes
        assertThat(d.reservePeriodic(0x01, TransferType.ISOCHRONOUS, 1023, 1)).isTrue();
        assertThat(e.reservePeriodic(0x81, TransferType.ISOCHRONOUS, 1023, 1)).isFalse();
        // averaged over the period: (1023 + 9) / 4 = 258
        assertThat(e.reservePeriodic(0x81, TransferType.ISOCHRONOUS, 1023, 4)).isTrue();
        assertThat(e.reservePeriodic(0x01, TransferType.ISOCHRONOUS, 100, 1)).isFalse();
        d.releasePeriodic(0x01);
        assertThat(e.reservePeriodic(0x01, TransferType.ISOCHRONOUS, 1023, 1)).isTrue();
        b.host.detach(e);
        assertThat(d.reservePeriodic(0x01, TransferType.ISOCHRONOUS, 1023, 1)).isTrue();
    }

    @Test
    void periodicBandwidthIsRefusedBeyondEightyPercentOfAHighSpeedMicroframe() throws BackendException {
        Bench b = Bench.of(UsbSpeed.HIGH);
        SimulatedDevice d = b.attach(LoopbackDevice.highSpeed());
        // 3072 * 7/6 + 3 * 38 = 3698 of 6000 bytes
        assertThat(d.reservePeriodic(0x01, TransferType.ISOCHRONOUS, 3072, 1)).isTrue();
        assertThat(d.reservePeriodic(0x81, TransferType.ISOCHRONOUS, 3072, 1)).isFalse();
        assertThat(d.reservePeriodic(0x81, TransferType.ISOCHRONOUS, 3072, 2)).isTrue();
        // re-reserving an endpoint replaces its reservation
        assertThat(d.reservePeriodic(0x01, TransferType.ISOCHRONOUS, 1024, 1)).isTrue();
        assertThat(SimulatedHostController.periodicCost(false, TransferType.ISOCHRONOUS, 1023))
                .isEqualTo(1032.0);
    }

    @Test
    void bulkLoopbackWithShortPacketsNakAndUnderrun() throws BackendException {
        Bench b = Bench.of(UsbSpeed.HIGH);
        SimulatedDevice d = b.attach(LoopbackDevice.highSpeed());
        ByteBuffer in = ByteBuffer.allocate(2048);
        BackendTransfer read = b.bulk(d, TransferType.BULK, 0x82, in, 2048, false);
        b.host.advanceFrames(3);
        assertThat(b.completed).doesNotContain(read); // NAK: nothing written yet
        ByteBuffer out = ByteBuffer.allocate(1000);
        for (int i = 0; i < 1000; i++) {
            out.put(i, (byte) i);
        }
        BackendTransfer write = b.bulk(d, TransferType.BULK, 0x02, out, 1000, false);
        b.host.advanceMicroframes(3);
        assertThat(write.status()).isEqualTo(OK);
        assertThat(write.actualLength()).isEqualTo(1000);
        assertThat(read.status()).isEqualTo(OK);
        assertThat(read.actualLength()).isEqualTo(1000); // 512 + a short 488 ends it
        assertThat(in.array()).startsWith(out.array());
        b.bulk(d, TransferType.BULK, 0x02, out, 10, false);
        BackendTransfer strict = b.bulk(d, TransferType.BULK, 0x82, in, 100, true);
        b.host.advanceFrames(1);
        assertThat(strict.status()).isEqualTo(PacketStatus.DATA_UNDERRUN);
        assertThat(strict.actualLength()).isEqualTo(10);
    }

    @Test
    void interruptTransfersHonourTheirPeriod() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        ProbeDevice probe = new ProbeDevice(UsbSpeed.FULL, 64, 1, 10);
        SimulatedDevice d = b.attach(probe);
        for (int i = 0; i < 3; i++) {
            b.bulk(d, TransferType.INTERRUPT, 0x83, ByteBuffer.allocate(8), 8, false);
        }
        b.host.advanceFrames(40);
        assertThat(probe.ins)
                .hasSize(3)
                .allSatisfy(s -> assertThat(s.frame() % 10).isZero());
    }

    @Test
    void frameLengthSlewsOneBitTimePerFrame() {
        SimulatedHostController host = SimulatedHostController.builder().build();
        assertThat(host.adjustFrameLength(11993, null)).isFalse();
        assertThat(host.adjustFrameLength(12006, null)).isFalse();
        long[] reachedAt = {-1};
        assertThat(host.adjustFrameLength(12003, () -> reachedAt[0] = host.currentFrame()))
                .isTrue();
        host.advanceFrames(2);
        assertThat(host.frameLength()).isEqualTo(12002);
        host.advanceFrames(5);
        assertThat(host.frameLength()).isEqualTo(12003);
        assertThat(reachedAt[0]).isEqualTo(2);
    }

    @Test
    void suspendedDeviceIsNotServed() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        ProbeDevice probe = new ProbeDevice(UsbSpeed.FULL, 64, 1, 1);
        SimulatedDevice d = b.attach(probe);
        b.setInterface(d, 0, 1);
        long start = b.host.currentFrame() + 1;
        d.suspend();
        BackendTransfer t = b.iso(d, 0x81, start, 1, ByteBuffer.allocate(64), Bench.lengths(4, 8));
        b.host.advanceTo(start + 2);
        d.resume();
        b.host.advanceFrames(3);
        assertThat(Bench.statuses(t)).containsExactly(NOT_ACCESSED, NOT_ACCESSED, OK, OK);
    }

    @Test
    void realTimeClockRunsOnItsOwnThread() throws Exception {
        try (SimulatedHostController host = SimulatedHostController.builder()
                .clockMode(SimulatedHostController.ClockMode.REAL_TIME)
                .build()) {
            Bench b = new Bench(host);
            SimulatedDevice d = b.attach(new ProbeDevice(UsbSpeed.FULL, 64, 1, 1));
            assertThatThrownBy(() -> host.advanceFrames(1)).isInstanceOf(IllegalStateException.class);
            List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
            java.util.concurrent.CountDownLatch completed = new java.util.concurrent.CountDownLatch(1);
            BackendTransfer t = new BackendTransfer(x -> {
                        threads.add(Thread.currentThread().getName());
                        completed.countDown();
                    })
                    .bulk(TransferType.INTERRUPT, 0x83, ByteBuffer.allocate(8), 0, 8, false);
            d.submit(t);
            // the bound only turns a hang into a failure: the clock thread completes it within a frame or two
            assertThat(completed.await(30, java.util.concurrent.TimeUnit.SECONDS))
                    .isTrue();
            assertThat(threads).containsExactly("usbd-sim-clock");
        }
    }
}
