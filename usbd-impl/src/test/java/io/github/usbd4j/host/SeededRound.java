package io.github.usbd4j.host;

import java.lang.management.ManagementFactory;
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

    /** Threads of this JVM now (a round leaves none behind once its runtime is closed). */
    public static long threadCount() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }
}
