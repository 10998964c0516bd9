package io.github.usbd4j.realkernel;

import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.DesktopChaosRound;
import io.github.usbd4j.sim.LoopbackDevice;
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

    /** Whether every other round may unplug the device mid-stream (see the class comment). */
    private static final boolean UNPLUG = Boolean.getBoolean("usbd4j.chaos.unplug");

    private static final int THREADS = 3;
    private static final int OPS_PER_THREAD = 150;
    /** A worker still running after this long is stuck (a round takes a few seconds under TCG). */
    private static final long HANG_MILLIS = 60_000;
    /** How long the wind-down waits for every accepted I/O and URB to complete. */
    private static final long WIND_DOWN_MILLIS = 10_000;

    /** The vhci port the device is attached to, or {@code null}; kept across rounds. */
    private static volatile Integer port;

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
            try {
                if (port == null) {
                    port = GuestUsbIp.attach("1-1");
                    Scenarios.awaitSysfs(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID, 20_000);
                }
            } catch (Exception e) {
                throw new AssertionError("usbip attach failed", e);
            }
            long deadline = System.nanoTime() + 30_000_000_000L;
            List<UsbHandle> devices = usbd.devices();
            while (devices.isEmpty() && System.nanoTime() < deadline) {
                sleep(20);
                devices = usbd.devices();
            }
            if (devices.isEmpty()) {
                throw new AssertionError("the runtime did not report the loopback device in 30 s");
            }
            return new Plugged(devices.get(0), port, false); // the guestfwd server exports it at full speed
        }

        @Override
        protected void detach(Plug p) {
            try {
                GuestUsbIp.detach((Integer) p.token);
                port = null;
            } catch (Exception e) {
                throw new AssertionError("usbip detach failed", e);
            }
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
            return unplugLate && port != null && operations() > THREADS * OPS_PER_THREAD * 3L / 4;
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
        long budget = Long.getLong("usbd4j.chaos.seconds", 30) * 1_000_000_000L;
        long threadsBefore = DesktopChaosRound.threadCount();
        long start = System.nanoTime();
        long rounds = 0;
        long operations = 0;
        long ios = 0;
        long urbs = 0;
        long unplugs = 0;
        for (long seed = 1; rounds < 2 || System.nanoTime() - start < budget; seed++) {
            long t0 = System.nanoTime();
            GuestRound round = new GuestRound(UNPLUG && seed % 2 == 0);
            round.run(seed, THREADS, OPS_PER_THREAD, HANG_MILLIS);
            rounds++;
            operations += round.operations();
            ios += round.ioAccepted();
            urbs += round.urbsAccepted();
            unplugs += round.unplugs();
            r.info(String.format(
                    "seed %d: %d WinUSB I/Os and %d URBs accepted, %d unplugs, %d ms",
                    seed,
                    round.ioAccepted(),
                    round.urbsAccepted(),
                    round.unplugs(),
                    (System.nanoTime() - t0) / 1_000_000));
            if (!round.violations().isEmpty()) {
                throw new AssertionError("seed " + seed + ": " + round.violations());
            }
        }
        if (port != null) {
            GuestUsbIp.detach(port);
            port = null;
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (DesktopChaosRound.threadCount() > threadsBefore && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        if (DesktopChaosRound.threadCount() > threadsBefore) {
            throw new AssertionError("threads after every Usbd.close(): " + DesktopChaosRound.threadCount()
                    + ", before " + threadsBefore);
        }
        r.info("desktop chaos on the usb4java backend: " + rounds + " seeds, " + operations + " operations, " + ios
                + " WinUSB I/Os and " + urbs + " URBs accepted, " + unplugs
                + " unplugs mid-stream, every one completed exactly once, nothing left");
    }
}
