package io.github.usbd4j.internal.ce;

import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.internal.engine.EnginePipe;
import io.github.usbd4j.internal.engine.HandleQuarantine;
import io.github.usbd4j.internal.engine.Transfer;
import io.github.usbd4j.usb.UsbEndpointDescriptor;

/**
 * A CE pipe handle, {@code USB_PIPE} (usb-iso-apis.md §1.10): an engine pipe, and the quarantine its closed
 * transfer handles wait in before they are reused.
 */
final class CePipe implements UsbPipe {
    final CeDevice device;
    final EnginePipe pipe;
    private final HandleQuarantine<CeTransfer> handles;

    CePipe(CeDevice device, EnginePipe pipe, int quarantine) {
        this.device = device;
        this.pipe = pipe;
        this.handles = new HandleQuarantine<>(quarantine);
    }

    @Override
    public UsbEndpointDescriptor endpoint() {
        return pipe.endpoint();
    }

    /** A handle for a new use: one that has waited out its quarantine, or a new one. */
    CeTransfer handleFor(Transfer t) {
        CeTransfer h = handles.take();
        if (h == null) {
            h = new CeTransfer(this);
        }
        h.bind(t);
        return h;
    }

    /** A handle its client closed goes to the back of the quarantine. */
    void retire(CeTransfer h) {
        handles.retire(h);
    }

    @Override
    public String toString() {
        return "UsbPipe[" + device.location() + " ep 0x" + Integer.toHexString(pipe.address()) + "]";
    }
}
