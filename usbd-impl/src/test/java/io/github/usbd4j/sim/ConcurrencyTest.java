package io.github.usbd4j.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Submit and cancel from another thread while the bus runs: every transfer completes exactly once. */
class ConcurrencyTest {

    @Test
    void submitAndCancelRaceTheBusWithoutLosingOrDoublingCompletions() throws Exception {
        Bench b = Bench.of(UsbSpeed.FULL);
        SimulatedDevice d = b.attach(new ProbeDevice(UsbSpeed.FULL, 64, 1, 1));
        b.setInterface(d, 0, 1);
        int count = 2000;
        ConcurrentHashMap<BackendTransfer, AtomicInteger> completions = new ConcurrentHashMap<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch submitted = new CountDownLatch(1);
        Thread producer = new Thread(() -> {
            try {
                for (int i = 0; i < count; i++) {
                    BackendTransfer t = new BackendTransfer(x -> completions
                                    .computeIfAbsent(x, k -> new AtomicInteger())
                                    .incrementAndGet())
                            .isochronous(
                                    0x81,
                                    ByteBuffer.allocate(16),
                                    0,
                                    b.host.currentFrame() + 2,
                                    1,
                                    new int[] {8, 8},
                                    2);
                    d.submit(t);
                    if (i % 3 == 0) {
                        d.cancel(t);
                    }
                }
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                submitted.countDown();
            }
        });
        producer.start();
        while (submitted.getCount() > 0) {
            b.host.advanceMicroframes(1);
        }
        producer.join();
        b.host.advanceFrames(10);
        assertThat(failure.get()).isNull();
        assertThat(completions).hasSize(count);
        assertThat(completions.values()).allMatch(n -> n.get() == 1);
        assertThat(completions.keySet())
                .allMatch(t -> t.status() == PacketStatus.OK || t.status() == PacketStatus.CANCELED);
    }

    /**
     * Two threads waiting on one virtual clock: a wait that holds the bus for long (here until told to stop) lets the
     * others in at each frame, so that another wait whose condition holds returns, and an advance by hand runs,
     * without waiting for it to end. The first wait held the bus to its end, and an INFINITE one (a device manager's
     * WaitForSingleObject) for ever: the others hung.
     */
    @Test
    void aLongWaitOnTheVirtualClock_letsOtherWaitsAndAdvancesIn() throws Exception {
        Bench b = Bench.of(UsbSpeed.FULL);
        AtomicInteger stop = new AtomicInteger();
        Thread longWait = new Thread(() -> b.host.runUntil(() -> stop.get() != 0, Long.MAX_VALUE / 64));
        longWait.start();
        while (b.host.currentFrame() < 5) {
            Thread.onSpinWait(); // the long wait runs the bus
        }
        AtomicReference<Boolean> other = new AtomicReference<>();
        Thread shortWait = new Thread(() -> {
            long from = b.host.currentFrame();
            other.set(b.host.runUntil(() -> b.host.currentFrame() >= from + 3, 1_000));
            b.host.advanceFrames(2);
        });
        shortWait.start();
        shortWait.join(10_000);
        boolean hung = shortWait.isAlive();
        stop.set(1);
        longWait.join(10_000);

        assertThat(hung).as("the other wait and advance, 10 s on").isFalse();
        assertThat(other.get()).isTrue();
        assertThat(longWait.isAlive()).isFalse();
    }
}
