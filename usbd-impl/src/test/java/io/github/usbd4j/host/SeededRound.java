package io.github.usbd4j.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every seeded chaos round keeps, whichever personality it drives ({@link ChaosRound}, {@link DesktopChaosRound}):
 * the operations its workers did, the devices it unplugged mid-stream and the rules it saw broken.
 */
public abstract class SeededRound {
    final List<String> violations = new CopyOnWriteArrayList<>();
    final AtomicLong ops = new AtomicLong();
    final AtomicInteger unplugs = new AtomicInteger();

    /** Operations the workers have done so far in this round. */
    public final long operations() {
        return ops.get();
    }

    /** Devices unplugged mid-stream in this round. */
    public final int unplugs() {
        return unplugs.get();
    }

    /** What went wrong in this round (at most 20), empty when nothing did. */
    public final List<String> violations() {
        return violations;
    }

    /** Records a broken rule. */
    protected final void violation(String what) {
        if (violations.size() < 20) {
            violations.add(what);
        }
    }

    /**
     * Fails with the rules this round saw broken, if any, naming the seed to replay; prints them first, as a long run's
     * output is read after it.
     *
     * @param test the test's name in the printed line
     * @param seed this round's seed
     * @param rounds the rounds run so far, this one included
     */
    public final void assertNoViolations(String test, long seed, long rounds) {
        if (!violations.isEmpty()) {
            System.out.println(test + ": seed " + seed + " FAILED after " + rounds + " rounds: " + violations);
        }
        assertThat(violations)
                .as("seed %d (replay with -Dusbd4j.chaos.seed=%d)", seed, seed)
                .isEmpty();
    }

    /** Transfers of {@code usbd} out of their pools: 0 once every handle was closed. */
    public static long transfersInUse(Usbd usbd) {
        return usbd.transfersInUse();
    }

    /** Threads of this JVM now (a round leaves none behind once its runtime is closed). */
    public static long threadCount() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    /**
     * Waits (at most 5 s) until this JVM has no more threads than {@code before}, as closed runtimes' threads end.
     *
     * @return the thread count then
     */
    public static long awaitThreadsBackTo(long before) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (threadCount() > before && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return threadCount();
    }

    /**
     * Every thread's stack, the hung one first, each cut at the test framework's frames and at 40 frames (the hung one at 400): a report
     * that truncates long output still shows where the hung thread waits and who holds what it waits for.
     *
     * @param hung the thread that did not end in time
     */
    public static String threadDump(Thread hung) {
        List<ThreadInfo> all =
                new ArrayList<>(List.of(ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)));
        all.sort((a, b) -> Boolean.compare(b.getThreadId() == hung.getId(), a.getThreadId() == hung.getId()));
        StringBuilder out = new StringBuilder();
        for (ThreadInfo t : all) {
            if (t.getThreadName().equals("main") || t.getThreadName().startsWith("surefire")) {
                continue; // the test's own thread, waiting in join
            }
            out.append('"').append(t.getThreadName()).append("\" ").append(t.getThreadState());
            if (t.getLockName() != null) {
                out.append(" on ").append(t.getLockName());
            }
            if (t.getLockOwnerName() != null) {
                out.append(" held by \"").append(t.getLockOwnerName()).append('"');
            }
            out.append('\n');
            StackTraceElement[] stack = t.getStackTrace();
            int limit = t.getThreadId() == hung.getId() ? 400 : 40;
            for (int k = 0; k < stack.length && k < limit; k++) {
                if (stack[k].getClassName().startsWith("org.junit")) {
                    break;
                }
                out.append("    at ").append(stack[k]).append('\n');
            }
        }
        return out.toString();
    }
}
