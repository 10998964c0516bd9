package io.github.usbd4j.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One daemon thread for the whole process, {@code usbd-sim-watchdog}, alive while a real-time simulated host
 * controller runs: once a millisecond it asks each whether its clock thread has been inside one transfer
 * callback for longer than its limit ({@link #STALL_NANOS} unless {@link
 * SimulatedHostController.Builder#callbackClockLimit} says otherwise; timed by its own rounds, so that a pause
 * of the whole process is not taken for a slow callback), and if so has that controller hand its clock to a new
 * thread ({@link SimulatedHostController#takeOverStalledClock}). That is what lets the clock thread run
 * callbacks itself, with no hand-off, while a slow or blocking callback still cannot stop the bus: it holds
 * up the bus for at most about a millisecond more than the limit (two, by default), after which the due
 * microframes are caught up in order.
 *
 * <p>One thread for all controllers, waking a thousand times a second while callbacks run, costs far less
 * than a hand-off per transfer on each bus. When no clock thread has entered a callback for {@link
 * #IDLE_ROUNDS} rounds (no stream, or streams without callbacks), it parks until the next callback begins, so
 * an idle simulator wakes no thread for it.
 */
final class ClockWatchdog {
    /** How long a callback may run on the clock thread before the clock moves to another thread, by default. */
    static final long STALL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * A round later than this after the previous one times stalls afresh: the watchdog itself did not run
     * (a garbage collection, or no core), so neither, perhaps, did the callback it would judge.
     */
    private static final long LATE_ROUND_NANOS = 2 * PERIOD_NANOS;

    /** Rounds without a callback after which the watchdog parks until one begins. */
    static final int IDLE_ROUNDS = 50;

    /**
     * Set while the watchdog parks for want of callbacks. The rule that no stall goes unseen: the watchdog
     * sets it, then looks at every clock once more (under each one's callback lock) before it parks; a clock
     * thread sets its callback's start under that lock, then reads this flag. One of the two sees the other.
     */
    private static volatile boolean idle;

    // guarded by ClockWatchdog.class
    private static final List<SimulatedHostController> WATCHED = new ArrayList<>();
    private static Thread thread;

    private ClockWatchdog() {}

    /** Starts watching {@code c}'s clock (and the watchdog thread, if it is not running). */
    static synchronized void watch(SimulatedHostController c) {
        WATCHED.add(c);
        if (thread == null) {
            Thread t = new Thread(ClockWatchdog::run, "usbd-sim-watchdog");
            t.setDaemon(true);
            thread = t;
            t.start();
        }
    }

    /**
     * Stops watching {@code c}; when it was the last, ends the watchdog thread and waits for it (briefly).
     */
    static void unwatch(SimulatedHostController c) {
        Thread ending = null;
        synchronized (ClockWatchdog.class) {
            WATCHED.remove(c);
            if (WATCHED.isEmpty() && thread != null) {
                ending = thread;
                thread = null;
            }
        }
        if (ending != null && ending != Thread.currentThread()) {
            LockSupport.unpark(ending);
            try {
                ending.join(TimeUnit.SECONDS.toMillis(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A clock thread has entered a callback (after setting its start): wakes a watchdog parked for idleness. */
    static void callbackEntered() {
        if (idle) {
            wake();
        }
    }

    private static void wake() {
        Thread t;
        synchronized (ClockWatchdog.class) {
            t = thread;
        }
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    private static void run() {
        Thread me = Thread.currentThread();
        SimulatedHostController[] watched = new SimulatedHostController[0];
        int idleRounds = 0;
        long lastRound = 0;
        while (true) {
            synchronized (ClockWatchdog.class) {
                if (thread != me) {
                    return;
                }
                if (watched.length != WATCHED.size()) {
                    watched = new SimulatedHostController[WATCHED.size()];
                }
                WATCHED.toArray(watched);
            }
            long now = System.nanoTime();
            boolean active = checkAll(watched, now, lastRound == 0 || now - lastRound > LATE_ROUND_NANOS);
            lastRound = now;
            idleRounds = active ? 0 : idleRounds + 1;
            if (idleRounds < IDLE_ROUNDS) {
                LockSupport.parkNanos(ClockWatchdog.class, PERIOD_NANOS);
                continue;
            }
            idle = true;
            if (!checkAll(watched, System.nanoTime(), false)) { // sees a callback that began before the flag did
                LockSupport.park(ClockWatchdog.class); // until a callback begins, or unwatch
                lastRound = 0; // the next round starts timing afresh
            }
            idle = false;
            idleRounds = 0;
        }
    }

    /** Runs one round over the controllers; whether any clock thread was, or is, in a callback since the last. */
    private static boolean checkAll(SimulatedHostController[] watched, long now, boolean resync) {
        boolean active = false;
        for (SimulatedHostController c : watched) {
            active |= c.takeOverStalledClock(now, resync);
        }
        return active;
    }
}
