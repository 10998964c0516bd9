package io.github.usbd4j.realkernel;

import io.github.usbd4j.host.SeededRound;
import io.github.usbd4j.sim.LoopbackDevice;

/**
 * What the real-kernel chaos scenarios ({@link ChaosScenario}, {@link DesktopChaosScenario}) share: the one loopback
 * device the host's USB/IP server exports, attached to a vhci port across rounds, and the rounds themselves, seeded 1,
 * 2, 3..., started until {@code -Dusbd4j.chaos.seconds} (default 30) have passed, after which the device is detached
 * and no thread may be left.
 */
final class GuestChaos {
    /** Whether unplug rounds run ({@code -Dusbd4j.chaos.unplug=true}; see {@link ChaosScenario} for why not by default). */
    static final boolean UNPLUG = Boolean.getBoolean("usbd4j.chaos.unplug");

    /** The vhci port the device is attached to, or {@code null}. */
    private static Integer port;

    private GuestChaos() {}

    /** Attaches the device unless it is attached, and waits until sysfs shows it. */
    static synchronized void attach() {
        if (port != null) {
            return;
        }
        try {
            port = GuestUsbIp.attach("1-1");
            Scenarios.awaitSysfs(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID, 20_000);
        } catch (Exception e) {
            throw new AssertionError("usbip attach failed", e);
        }
    }

    /** Whether the device is attached. */
    static synchronized boolean attached() {
        return port != null;
    }

    /** Detaches the device ({@code usbip detach}) if it is attached. */
    static synchronized void detach() {
        if (port == null) {
            return;
        }
        try {
            GuestUsbIp.detach(port);
            port = null;
        } catch (Exception e) {
            throw new AssertionError("usbip detach failed", e);
        }
    }

    /** One seeded round: runs it, returns its report line, throws {@link AssertionError} for a broken rule. */
    interface Round {
        String run(long seed) throws Exception;
    }

    /**
     * Runs rounds (at least two) until the time budget has passed, reporting each, then detaches the device and checks
     * that every thread the rounds started has ended.
     *
     * @return the rounds run
     */
    static long run(GuestMain.Report r, Round round) throws Exception {
        long budget = Long.getLong("usbd4j.chaos.seconds", 30) * 1_000_000_000L;
        long threadsBefore = SeededRound.threadCount();
        long start = System.nanoTime();
        long rounds = 0;
        for (long seed = 1; rounds < 2 || System.nanoTime() - start < budget; seed++) {
            long t0 = System.nanoTime();
            String line = round.run(seed);
            rounds++;
            r.info(String.format("seed %d: %s, %d ms", seed, line, (System.nanoTime() - t0) / 1_000_000));
        }
        detach();
        long threadsAfter = SeededRound.awaitThreadsBackTo(threadsBefore);
        if (threadsAfter > threadsBefore) {
            throw new AssertionError("threads after every Usbd.close(): " + threadsAfter + ", before " + threadsBefore);
        }
        return rounds;
    }
}
