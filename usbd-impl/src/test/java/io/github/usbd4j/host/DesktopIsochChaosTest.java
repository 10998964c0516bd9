package io.github.usbd4j.host;

import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Seeded chaos for the WinUSB and WDM isochronous personalities on the virtual clock, the way {@link TransferChaosTest}
 * does it for CE: the rounds of {@link DesktopChaosRound} ([§2.3](reference/winusb.html#s2-3),
 * [§3.5](reference/wdm.html#s3-5), [§3.6](reference/wdm.html#s3-6)), with full- and high-speed loopback devices on one
 * high-speed simulated bus, which the workers and completion routines unplug and replug at random.
 *
 * <p>Bounded to a few seconds; {@code -Dusbd4j.chaos.seconds=N} runs longer, {@code -Dusbd4j.chaos.seed=S} replays
 * one seed, {@code -Dusbd4j.chaos.realtime=true} runs on the simulator's real-time clock (whose thread completes the
 * I/Os and runs the callbacks, as a backend's event thread does). It prints the cases it tried, and the seed of a
 * failure.
 */
class DesktopIsochChaosTest {
    private static final int THREADS = 4;
    private static final int OPS_PER_THREAD = 250;
    /** A worker still running after this long is stuck: the test fails with every thread's stack. */
    private static final long HANG_MILLIS = 30_000;
    /** {@code -Dusbd4j.chaos.realtime=true}: the simulator's real-time clock, whose thread delivers completions. */
    private static final boolean REAL_TIME = Boolean.getBoolean("usbd4j.chaos.realtime");

    /** One seed's round on a simulated high-speed bus. */
    private static final class SimRound extends DesktopChaosRound {
        final SimulatedHostController sim;

        SimRound(long seed) {
            this(SimulatedHostController.builder()
                    .speed(UsbSpeed.HIGH)
                    .seed(seed)
                    .clockMode(
                            REAL_TIME
                                    ? SimulatedHostController.ClockMode.REAL_TIME
                                    : SimulatedHostController.ClockMode.VIRTUAL)
                    .build());
        }

        private SimRound(SimulatedHostController sim) {
            super(sim);
            this.sim = sim;
        }

        @Override
        protected void start(SplittableRandom root) {
            plug(true);
            plug(false);
            plug(root.nextBoolean());
        }

        @Override
        protected void advance(int frames) {
            if (REAL_TIME) {
                sleep(frames);
            } else {
                sim.advanceFrames(frames);
            }
        }

        /**
         * The device the runtime reports after {@code sim.attach}: at once on the virtual clock, within 5 s on the
         * real-time one (its clock thread reports it).
         */
        @Override
        protected Plugged attach(boolean highSpeed) {
            Set<UsbHandle> before = new HashSet<>(usbd.devices());
            SimulatedDevice d = sim.attach(highSpeed ? LoopbackDevice.highSpeed() : LoopbackDevice.fullSpeed());
            long deadline = System.nanoTime() + (REAL_TIME ? 5_000_000_000L : 0);
            do {
                for (UsbHandle h : usbd.devices()) {
                    if (!before.contains(h)) {
                        return new Plugged(h, d, highSpeed);
                    }
                }
                if (REAL_TIME) {
                    sleep(1);
                }
            } while (System.nanoTime() < deadline);
            return null;
        }

        @Override
        protected void detach(Plug p) {
            sim.detach((SimulatedDevice) p.token);
        }

        /**
         * Every accepted I/O is due within 1024 + 3 frames of its call: the virtual clock runs that far, the real-time
         * one is waited on until they have completed (at most 10 s).
         */
        @Override
        protected void windDown() {
            if (!REAL_TIME) {
                sim.advanceFrames(1100);
                return;
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!everythingCompleted() && System.nanoTime() < deadline) {
                sleep(10);
            }
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void everyAcceptedIoCompletesOnce_withEveryPacketReported_andNothingHangsOrLeaks_2_3_3_5_3_6() throws Exception {
        long seconds = Long.getLong("usbd4j.chaos.seconds", 3);
        Long only = Long.getLong("usbd4j.chaos.seed");
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        long rounds = 0;
        long operations = 0;
        long ios = 0;
        long urbs = 0;
        long unplugs = 0;
        long seed = only != null ? only : 1;
        do {
            SimRound round = new SimRound(seed);
            round.run(seed, THREADS, OPS_PER_THREAD, HANG_MILLIS);
            rounds++;
            operations += round.operations();
            ios += round.ioAccepted();
            urbs += round.urbsAccepted();
            unplugs += round.unplugs();
            round.assertNoViolations("desktop chaos", seed, rounds);
            seed++;
        } while (only == null && System.nanoTime() < deadline);
        System.out.printf(
                "desktop chaos: %d seeds, %d operations, %d WinUSB I/Os and %d URBs accepted, %d unplugs,"
                        + " every one completed exactly once%n",
                rounds, operations, ios, urbs, unplugs);
    }
}
