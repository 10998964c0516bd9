package io.github.usbd4j.usbip;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * Log lines about peers (refused, evicted, dropped, protocol violations), rate-limited so that an attack
 * cannot flood the log: a burst of {@value #BURST} lines, then one a second. What is held back is counted
 * and summarised in one line once lines may flow again ({@link #summarise()}, called by the watchdog).
 */
final class PeerLog {
    static final int BURST = 20;
    private static final long REFILL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Logger log;
    private final LongSupplier ticker;
    // guarded by this
    private int tokens = BURST;
    private long refilledAt;
    private long suppressed;
    private Level suppressedLevel = Level.INFO;
    private long failures;

    /**
     * A log with a full burst of tokens.
     *
     * @param log where the lines go
     * @param ticker the server's monotonic time in nanoseconds (a test's clock in tests)
     */
    PeerLog(Logger log, LongSupplier ticker) {
        this.log = log;
        this.ticker = ticker;
        this.refilledAt = ticker.getAsLong();
    }

    void warn(String format, Object... args) {
        emit(Level.WARN, format, args);
    }

    void info(String format, Object... args) {
        emit(Level.INFO, format, args);
    }

    /**
     * A failure of the server itself (a bug, never a peer's doing): logged with its stack trace, still
     * rate-limited, and counted.
     */
    void error(String format, Object... args) {
        synchronized (this) {
            failures++;
        }
        emit(Level.ERROR, format, args);
    }

    /** How many {@link #error} calls there were, logged or not. */
    synchronized long failures() {
        return failures;
    }

    private void emit(Level level, String format, Object[] args) {
        if (!log.isEnabledForLevel(level)) {
            return;
        }
        synchronized (this) {
            if (!takeToken()) {
                suppressed++;
                if (level.toInt() > suppressedLevel.toInt()) {
                    suppressedLevel = level;
                }
                return;
            }
        }
        log(level, format, args);
    }

    // guarded by this
    private boolean takeToken() {
        long now = ticker.getAsLong();
        long periods = (now - refilledAt) / REFILL_NANOS;
        if (periods > 0) {
            tokens = (int) Math.min(BURST, tokens + periods);
            refilledAt += periods * REFILL_NANOS;
        }
        if (tokens == 0) {
            return false;
        }
        tokens--;
        return true;
    }

    private void log(Level level, String format, Object... args) {
        switch (level) {
            case ERROR -> log.error(format, args);
            case WARN -> log.warn(format, args);
            default -> log.info(format, args);
        }
    }

    /** Logs how many lines were held back, once a line may be logged again. */
    void summarise() {
        long n;
        Level level;
        synchronized (this) {
            if (suppressed == 0 || !takeToken()) {
                return;
            }
            n = suppressed;
            level = suppressedLevel;
            suppressed = 0;
            suppressedLevel = Level.INFO;
        }
        log(level, "{} more messages about peers were not logged (at most one a second after a burst of {})", n, BURST);
    }
}
