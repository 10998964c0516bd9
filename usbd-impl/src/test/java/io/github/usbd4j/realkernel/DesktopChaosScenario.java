package io.github.usbd4j.realkernel;

import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.DesktopChaosRound;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Scenario e: the seeded WinUSB and WDM chaos of {@link DesktopChaosRound} on the usb4java backend and a real kernel:
 * the loopback device, served by the host's USB/IP server and attached to the guest's vhci-hcd, driven by worker
 * threads with overlapped and synchronous isochronous reads and writes, {@code WinUsb_GetOverlappedResult}, {@code
 * WinUsb_AbortPipe}, buffer (un)registration, {@code WinUsb_Free}, alternate settings and WDM URBs with abort-pipe and
 * select-interface, while completion callbacks and routines (on the backend's event thread) resubmit, abort, unregister
 * their buffer and wait for a sibling I/O ([§2.3](reference/winusb.html#s2-3), [§3.6](reference/wdm.html#s3-6)). Each
 * round builds and closes its own runtime; every accepted I/O and URB must complete exactly once, no call may throw,
 * and no transfer may be left out of its pool; after the last round no thread is left.
 *
 * <p>With {@code -Dusbd4j.chaos.unplug=true} every other round may also unplug the device ({@code usbip detach}) in its
 * last quarter, from a worker or a completion routine, and the next round attaches it again; not by default, for the
 * reason {@link ChaosScenario} gives. Rounds start until {@code -Dusbd4j.chaos.seconds} (default 30) have passed.
 * Reports one line per round and the totals.
 */
final class DesktopChaosScenario {

    private static final int THREADS = 3;
    private static final int OPS_PER_THREAD = 150;
    /** A worker still running after this long is stuck (a round takes a few seconds under TCG). */
    private static final long HANG_MILLIS = 60_000;
    /** How long the wind-down waits for every accepted I/O and URB to complete. */
    private static final long WIND_DOWN_MILLIS = 10_000;

    private DesktopChaosScenario() {}

    /** One round on the real stack; the only device is the one USB/IP attaches. */
    private static final class GuestRound extends DesktopChaosRound {
        private final boolean unplugLate;

        GuestRound(boolean unplugLate) {
            super(new RealKernelHarness().newBackend(UsbSpeed.FULL));
            this.unplugLate = unplugLate;
        }

        @Override
        protected void start(SplittableRandom root) {
            plug(false);
        }

        @Override
        protected void advance(int frames) {
            sleep(frames);
        }

        /** Attaches the device unless it is attached, and waits until the runtime has it. */
        @Override
        protected Plugged attach(boolean highSpeed) {
            GuestChaos.attach();
            long deadline = System.nanoTime() + 30_000_000_000L;
            List<UsbHandle> devices = usbd.devices();
            while (devices.isEmpty() && System.nanoTime() < deadline) {
                sleep(20);
                devices = usbd.devices();
            }
            if (devices.isEmpty()) {
                throw new AssertionError("the runtime did not report the loopback device in 30 s");
            }
            return new Plugged(devices.get(0), null, false); // the guestfwd server exports it at full speed
        }

        @Override
        protected void detach(Plug p) {
            GuestChaos.detach();
        }

        /** Waits, on the wall clock, until every accepted I/O and URB has completed (or the bound passes). */
        @Override
        protected void windDown() {
            long deadline = System.nanoTime() + WIND_DOWN_MILLIS * 1_000_000L;
            while (!everythingCompleted() && System.nanoTime() < deadline) {
                sleep(10);
            }
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

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static void run(GuestMain.Report r) throws Exception {
        long[] totals = new long[4]; // operations, I/Os, URBs, unplugs
        long rounds = GuestChaos.run(r, seed -> {
            GuestRound round = new GuestRound(GuestChaos.UNPLUG && seed % 2 == 0);
            round.run(seed, THREADS, OPS_PER_THREAD, HANG_MILLIS);
            totals[0] += round.operations();
            totals[1] += round.ioAccepted();
            totals[2] += round.urbsAccepted();
            totals[3] += round.unplugs();
            if (!round.violations().isEmpty()) {
                throw new AssertionError("seed " + seed + ": " + round.violations());
            }
            return round.ioAccepted() + " WinUSB I/Os and " + round.urbsAccepted() + " URBs accepted, "
                    + round.unplugs() + " unplugs";
        });
        r.info("desktop chaos on the usb4java backend: " + rounds + " seeds, " + totals[0] + " operations, "
                + totals[1] + " WinUSB I/Os and " + totals[2] + " URBs accepted, " + totals[3]
                + " unplugs mid-stream, every one completed exactly once, nothing left");
    }
}
