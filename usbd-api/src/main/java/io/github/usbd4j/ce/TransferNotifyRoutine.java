package io.github.usbd4j.ce;

/**
 * A transfer's completion callback: CE's {@code LPTRANSFER_NOTIFY_ROUTINE} (usb-iso-apis.md §1.1, §1.7).
 *
 * <p>It is told only the notify parameter given with the transfer, not which transfer completed: keep
 * the {@link UsbTransfer} and query it. It runs exactly once per transfer, after the results are final,
 * also when the transfer is aborted or closed while pending. It runs on the runtime's callback executor,
 * never on the bus thread.
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
