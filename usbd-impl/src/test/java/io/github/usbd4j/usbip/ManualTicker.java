package io.github.usbd4j.usbip;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A clock for the server's time rules that moves only when a test moves it
 * ({@link UsbIpServer.Builder#ticker}); the test then runs the watchdog
 * ({@link UsbIpServer#checkConnections()}), so a timeout is asserted to the nanosecond instead of raced
 * against the wall clock.
 */
final class ManualTicker implements LongSupplier {
    /** Far from 0 and from overflow, so that nothing depends on where the clock starts. */
    private final AtomicLong nanos = new AtomicLong(7_000_000_000_000L);

    @Override
    public long getAsLong() {
        return nanos.get();
    }

    void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }
}
