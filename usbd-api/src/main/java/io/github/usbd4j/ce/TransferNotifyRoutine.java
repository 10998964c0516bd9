package io.github.usbd4j.ce;

/**
 * A transfer's completion callback: CE's {@code LPTRANSFER_NOTIFY_ROUTINE}
 * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-1">§1.1</a>,
 * <a href="{@docRoot}/../reference/ce-usbd.html#s1-7">§1.7</a>).
 *
 * <p>It is told only the notify parameter given with the transfer, not which transfer completed: keep
 * the {@link UsbTransfer} and query it. It runs exactly once per transfer, after the results are final,
 * also when the transfer is aborted or closed while pending. It runs on the runtime's callback executor
 * ({@code Usbd.Builder.callbackExecutor}), one at a time per pipe: by default a pool of two threads on the
 * real-time clock, and on a virtual clock the thread that advances the bus (so that a test is
 * deterministic). Wherever it runs, a synchronous call made from it that only its own thread could
 * complete fails at once with {@code ERROR_BUSY} instead of hanging, and it never waits for another
 * transfer's callback. An exception it throws is caught, counted and reported
 * ({@code Usbd.Builder.callbackFailureHandler}); the transfer stays complete.
 */
@FunctionalInterface
public interface TransferNotifyRoutine {

    /**
     * The transfer completed.
     *
     * @param notifyParameter the {@code lpvNotifyParameter} given with the transfer
     * @return a {@code DWORD}, unused by USBD (return 0)
     */
    int notify(Object notifyParameter);
}
