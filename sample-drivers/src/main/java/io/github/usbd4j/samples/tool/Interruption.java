package io.github.usbd4j.samples.tool;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * SIGINT and SIGTERM during a run: a JVM shutdown hook asks the run in progress to stop and waits (up to
 * {@value #FINISH_SECONDS} s) until it has stopped its streams, finished its files and printed its
 * summary; then the JVM exits with 128 + the signal (130, 143). The run does all the work on its own
 * thread; the hook only asks and waits.
 */
final class Interruption {
    static final long FINISH_SECONDS = 60;

    private static final Object LOCK = new Object();
    private static Run active;
    private static boolean hooked;
    private static final CountDownLatch COMMAND_DONE = new CountDownLatch(1);
    private static volatile boolean commandRunning;

    private Interruption() {}

    /** One run that a signal can stop; close it when the run's files and summary are done. */
    static final class Run implements AutoCloseable {
        private final CompletableFuture<Void> stop = new CompletableFuture<>();
        private final CountDownLatch done = new CountDownLatch(1);

        /** Completes when a signal asked the run to stop. */
        CompletableFuture<Void> stopRequested() {
            return stop;
        }

        /** Whether a signal asked the run to stop. */
        boolean isStopRequested() {
            return stop.isDone();
        }

        @Override
        public void close() {
            synchronized (LOCK) {
                if (active == this) {
                    active = null;
                }
            }
            done.countDown();
        }
    }

    /**
     * The process runs a command ({@code main}): a signal that stops its run also waits, within the same bound,
     * for {@link #commandDone}, so that what the command prints after the run (the error line of a failure
     * while finishing) is printed before the JVM exits.
     */
    static void commandStarted() {
        commandRunning = true;
    }

    /** The command has printed everything: a signal's exit may go on. */
    static void commandDone() {
        COMMAND_DONE.countDown();
    }

    /** Starts a run; the first call installs the shutdown hook. */
    static Run begin() {
        synchronized (LOCK) {
            if (!hooked) {
                Runtime.getRuntime().addShutdownHook(new Thread(Interruption::onSignal, "usbd-interrupt"));
                hooked = true;
            }
            Run r = new Run();
            active = r;
            return r;
        }
    }

    private static void onSignal() {
        Run r;
        synchronized (LOCK) {
            r = active;
        }
        if (r == null) {
            return;
        }
        r.stop.complete(null);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(FINISH_SECONDS);
            if (r.done.await(FINISH_SECONDS, TimeUnit.SECONDS) && commandRunning) {
                var unused = COMMAND_DONE.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
