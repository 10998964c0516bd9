package io.github.usbd4j.sim;

import io.github.usbd4j.descriptor.Endpoints;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import java.util.ArrayDeque;

/** One endpoint slot of a simulated device; guarded by the controller's lock. */
final class EndpointState {
    final int address;
    /** The slot of this endpoint in its device: number in bits 3:0, direction in bit 4 (FaultPlan#index). */
    final int index;
    /** Transfers in submission order; the head is the one on the bus. */
    final ArrayDeque<BackendTransfer> queue = new ArrayDeque<>();
    /** The handler's views of the buffers of this endpoint's transfers. */
    final BufferWindows windows = new BufferWindows();

    /** The active descriptor, {@code null} when no active alternate setting has this endpoint. */
    UsbEndpointDescriptor descriptor;

    EndpointHandler handler;
    boolean halted;
    /** Bytes per bus interval charged to the periodic budget (see SimulatedHostController#periodicCost). */
    double reservedCost;

    EndpointState(int address) {
        this.address = address;
        this.index = FaultPlan.index(address);
    }

    TransferType type() {
        return address == 0 ? TransferType.CONTROL : TransferType.of(descriptor.bmAttributes());
    }

    /**
     * Largest payload of one bus interval: the packet size the speed allows ({@link Endpoints#maxPacketPayload}) times
     * the high-bandwidth multiplier (HS only).
     */
    int maxPerInterval(boolean highSpeed) {
        int payload = maxPacket(highSpeed);
        return highSpeed ? payload * descriptor.transactionsPerMicroframe() : payload;
    }

    /** Largest payload of one packet at the device's speed ({@link Endpoints#maxPacketPayload}). */
    int maxPacket(boolean highSpeed) {
        return Endpoints.maxPacketPayload(descriptor, highSpeed ? UsbSpeed.HIGH : UsbSpeed.FULL);
    }

    /**
     * Interrupt polling period in the device's bus intervals (<a href="{@docRoot}/../reference/usb-bus.html#s4">§4</a>:
     * FS bInterval frames, HS 2^(b-1)).
     */
    int interruptPeriod(boolean highSpeed) {
        int b = Math.max(1, descriptor.bInterval());
        return highSpeed ? 1 << (Math.min(b, 16) - 1) : b;
    }
}
