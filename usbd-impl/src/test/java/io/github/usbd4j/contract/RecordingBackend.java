package io.github.usbd4j.contract;

import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.HostController;
import java.util.concurrent.atomic.AtomicInteger;

/** Wraps a backend and counts what reaches it, to prove that bad arguments never do. */
public final class RecordingBackend extends ForwardingBackend {
    /** Transfers submitted to any device. */
    public final AtomicInteger submits = new AtomicInteger();

    public RecordingBackend(HostController inner) {
        super(inner);
    }

    @Override
    protected void beforeSubmit(BackendTransfer transfer) {
        submits.incrementAndGet();
    }
}
