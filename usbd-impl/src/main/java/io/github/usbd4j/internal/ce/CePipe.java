package io.github.usbd4j.internal.ce;

import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.internal.engine.EnginePipe;
import io.github.usbd4j.internal.engine.Transfer;
import io.github.usbd4j.usb.UsbEndpointDescriptor;

/**
 * A CE pipe handle, {@code USB_PIPE} ([§1.10](reference/ce-usbd.html#s1-10)): an engine pipe whose transfers carry
 * CE transfer handles, which wait out the pipe's handle quarantine once closed before they are reused.
 */
final class CePipe implements UsbPipe {
    final CeDevice device;
    final EnginePipe pipe;

    CePipe(CeDevice device, EnginePipe pipe, int quarantine) {
        this.device = device;
        this.pipe = pipe;
        // an isochronous pipe streams: its handles are made now, so that its stream allocates nothing
        pipe.quarantineHandles(quarantine, pipe.type() == TransferType.ISOCHRONOUS ? () -> new CeTransfer(this) : null);
    }

    @Override
    public UsbEndpointDescriptor endpoint() {
        return pipe.endpoint();
    }

    /**
     * The handle a new use will have, before it is submitted: the one its pipe gave with the transfer (it has
     * waited out its quarantine), or a new one. The pipe retires it into the quarantine once the use is closed
     * and finished; until it is {@linkplain CeTransfer#bind bound} it still names its old, closed use.
     */
    CeTransfer handleFor(Transfer t) {
        Object h = t.handle();
        if (h instanceof CeTransfer ct && ct.home == this) {
            return ct;
        }
        CeTransfer fresh = new CeTransfer(this);
        t.setHandle(fresh);
        return fresh;
    }

    @Override
    public String toString() {
        return "UsbPipe[" + device.location() + " ep 0x" + Integer.toHexString(pipe.address()) + "]";
    }
}
