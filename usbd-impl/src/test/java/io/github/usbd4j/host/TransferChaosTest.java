package io.github.usbd4j.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded chaos on the virtual clock ([§1.5](reference/ce-usbd.html#s1-5), [§1.7](reference/ce-usbd.html#s1-7),
 * [§1.10](reference/ce-usbd.html#s1-10)): the rounds of {@link ChaosRound}, with full- and high-speed loopback devices
 * on one high-speed simulated bus, which the workers unplug and replug at random. Besides each round's checks, no
 * thread is left after the last {@code Usbd.close()}.
 *
 * <p>Bounded to a few seconds; {@code -Dusbd4j.chaos.seconds=N} runs longer, {@code -Dusbd4j.chaos.seed=S}
 * replays one seed. It prints the cases it tried, and the seed of a failure. {@code -Dusbd4j.chaos.realtime=true} runs
 * the same rounds on the real-time clock (the clock thread, its watchdog and the callback threads, with devices
 * reported attached on another thread); not by default, as a round then depends on the machine's timing, not on its
 * seed alone.
 */
class TransferChaosTest {
    private static final int THREADS = 4;
    private static final int OPS_PER_THREAD = 400;
    private static final boolean REAL_TIME = Boolean.getBoolean("usbd4j.chaos.realtime");

    /** One seed's round on a simulated high-speed bus. */
    private static final class SimRound extends ChaosRound {
        final SimulatedHostController sim;
        /** The plug usbDeviceAttach made, on the thread whose sim.attach() reported it (virtual: inline). */
        @SuppressWarnings("ThreadLocalUsage") // one per round on purpose: a round's attach must not see another's
        private final ThreadLocal<Plug> justAttached = new ThreadLocal<>();

        SimRound(SimulatedHostController sim) {
            super(sim);
            this.sim = sim;
        }

        @Override
        protected void advance(int frames) {
            if (REAL_TIME) {
                try {
                    Thread.sleep(frames);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } else {
                sim.advanceFrames(frames);
            }
        }

        /** Real time: one plug at a time, so that the attach reported on another thread is this plug's. */
        @Override
        protected synchronized void plug(boolean highSpeed) {
            justAttached.remove();
            SimulatedDevice d = sim.attach(highSpeed ? LoopbackDevice.highSpeed() : LoopbackDevice.fullSpeed());
            Plug p = justAttached.get();
            justAttached.remove();
            if (p == null && REAL_TIME) {
                try {
                    p = arrivals.poll(5, java.util.concurrent.TimeUnit.SECONDS); // reported on another thread
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (p != null) {
                p.token = d;
                p.highSpeed = highSpeed;
                live.add(p);
            }
        }

        @Override
        protected void attached(Plug p) {
            if (REAL_TIME) {
                arrivals.add(p);
            } else {
                justAttached.set(p);
            }
        }

        private final java.util.concurrent.BlockingQueue<Plug> arrivals =
                new java.util.concurrent.LinkedBlockingQueue<>();

        @Override
        protected void unplug(Plug p) {
            sim.detach((SimulatedDevice) p.token);
        }
    }

    @Test
    void everyIssuedTransfersCallbackRunsExactlyOnce_noneAfterCloseDevice_andNothingIsLeft_1_5_1_7() throws Exception {
        long seconds = Long.getLong("usbd4j.chaos.seconds", 3);
        Long only = Long.getLong("usbd4j.chaos.seed");
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        long rounds = 0;
        long transfers = 0;
        long operations = 0;
        long unplugs = 0;
        long seed = only != null ? only : 1;
        long threadsBefore = ChaosRound.threadCount();
        do {
            SimRound round = new SimRound(SimulatedHostController.builder()
                    .speed(UsbSpeed.HIGH)
                    .seed(seed)
                    .clockMode(
                            REAL_TIME
                                    ? SimulatedHostController.ClockMode.REAL_TIME
                                    : SimulatedHostController.ClockMode.VIRTUAL)
                    .build());
            Random setup = new Random(seed);
            round.plug(true);
            round.plug(false);
            round.plug(setup.nextBoolean());
            round.run(seed, THREADS, OPS_PER_THREAD, 200);
            rounds++;
            transfers += round.issued();
            operations += round.operations();
            unplugs += round.unplugs();
            round.assertNoViolations("chaos", seed, rounds);
            seed++;
        } while (only == null && System.nanoTime() < deadline);
        System.out.printf(
                "chaos: %d seeds, %d operations, %d transfers issued, %d unplugs, all callbacks exactly once%n",
                rounds, operations, transfers, unplugs);
        assertThat(SeededRound.awaitThreadsBackTo(threadsBefore))
                .as("threads after every Usbd.close()")
                .isLessThanOrEqualTo(threadsBefore);
    }
}
