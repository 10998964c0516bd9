package io.github.usbd4j.realkernel;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.ChaosRound;

/**
 * Scenario d: the seeded transfer-lifecycle chaos of {@link ChaosRound} on the usb4java backend and a real
 * kernel: the loopback device, served by the host's USB/IP server and attached to the guest's vhci-hcd,
 * streamed by worker threads that abort, close, abort pipes, reopen pipes and issue synchronously, while
 * callbacks (on the backend's event thread) resubmit, close themselves and close siblings. Each round builds
 * and closes its own runtime, and must leave no transfer out of its pool; after the last one no thread is left.
 *
 * <p>With {@code -Dusbd4j.chaos.unplug=true} every other round also ends with {@code usbip detach} in its last
 * quarter, mid-stream, and the next round attaches the device again. Not by default: within a few minutes of
 * such rounds the guest kernel's detach itself hangs (its hung-task detector reports the hub's kworker, and a
 * thread in a usbfs ioctl waiting behind it, blocked for minutes), which is vhci-hcd's disconnect under way,
 * not the runtime ([libraries §2](reference/linux-peers.html#p2-usbip)); the contract suite covers an unplug
 * mid-stream once, deterministically. Rounds start until {@code -Dusbd4j.chaos.seconds} (default 30; a round takes a few
 * seconds under TCG) have passed. Reports one line per round and the totals.
 */
final class ChaosScenario {

    private static final int THREADS = 3;
    private static final int OPS_PER_THREAD = 150;

    private ChaosScenario() {}

    /** One round on the real stack; the only device is the one USB/IP attaches. */
    private static final class GuestRound extends ChaosRound {
        private final boolean unplugLate;

        GuestRound(boolean unplugLate) {
            super(new RealKernelHarness().newBackend(UsbSpeed.FULL));
            this.unplugLate = unplugLate;
        }

        @Override
        protected void advance(int frames) {
            try {
                Thread.sleep(frames);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Attaches the device unless it is attached, and waits until the driver has it. */
        @Override
        protected void plug(boolean highSpeed) {
            GuestChaos.attach();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (live.isEmpty() && System.nanoTime() < deadline) {
                advance(20);
            }
            if (live.isEmpty()) {
                throw new AssertionError("the runtime did not attach the loopback device to the chaos driver in 30 s");
            }
        }

        @Override
        protected void attached(Plug p) {
            live.add(p);
        }

        @Override
        protected void unplug(Plug p) {
            GuestChaos.detach();
        }

        /** Only in an unplug round, in its last quarter, so that most of the round streams. */
        @Override
        protected boolean mayUnplug() {
            return unplugLate && GuestChaos.attached() && operations() > THREADS * OPS_PER_THREAD * 3L / 4;
        }

        /** A replug takes seconds under TCG: the next round does it. */
        @Override
        protected boolean mayPlug() {
            return false;
        }
    }

    static void run(GuestMain.Report r) throws Exception {
        long[] issued = new long[1];
        long[] unplugs = new long[1];
        long rounds = GuestChaos.run(r, seed -> {
            GuestRound round = new GuestRound(GuestChaos.UNPLUG && seed % 2 == 0);
            round.plug(false);
            round.run(seed, THREADS, OPS_PER_THREAD, 200);
            issued[0] += round.issued();
            unplugs[0] += round.unplugs();
            if (!round.violations().isEmpty()) {
                throw new AssertionError("seed " + seed + ": " + round.violations());
            }
            return round.issued() + " transfers issued, " + round.unplugs() + " unplugs";
        });
        r.info("chaos on the usb4java backend: " + rounds + " seeds, " + issued[0] + " transfers issued, " + unplugs[0]
                + " unplugs mid-stream, every callback exactly once, nothing left");
    }
}
