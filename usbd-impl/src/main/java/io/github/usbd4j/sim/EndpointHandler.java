package io.github.usbd4j.sim;

import io.github.usbd4j.host.spi.PacketStatus;
import java.nio.ByteBuffer;

/**
 * The device side of one endpoint of a {@link DeviceModel}. The simulator calls it on the thread that
 * advances the bus, once per packet (isochronous: once per packet in its bus interval; bulk and
 * interrupt: once per {@code wMaxPacketSize} packet). Implement the direction the endpoint has.
 *
 * <p>Calls come with the bus frame (1 ms) and the microframe within it (0..7; always 0 on a
 * full-speed bus). Handlers must not block and must not call back into the host controller.
 */
public interface EndpointHandler {

    /**
     * {@link #in} result meaning "nothing to send now": a bulk or interrupt transfer stays pending
     * and is asked again in the endpoint's next interval; an isochronous packet completes with 0 bytes.
     */
    int NAK = -1;

    /**
     * An OUT packet arrived.
     *
     * @param frame the bus frame
     * @param microframe the microframe within the frame, 0 at full speed
     * @param data the packet's bytes from position to limit: a read-only window onto the transfer's buffer,
     *     valid only during this call
     */
    default void out(long frame, int microframe, ByteBuffer data) {}

    /**
     * Whether the device takes a bulk or interrupt OUT packet of {@code length} bytes now; {@code false} NAKs it: the
     * transfer stays pending (the packets taken so far kept) and the packet is offered again in the endpoint's next
     * interval, as a device with its buffer full does. Asked before each {@link #out}; isochronous packets are never
     * NAKed. The default takes every packet.
     *
     * @param frame the bus frame
     * @param microframe the microframe within the frame, 0 at full speed
     * @param length the packet's length
     * @return {@code true} to take it
     */
    default boolean acceptsOut(long frame, int microframe, int length) {
        return true;
    }

    /**
     * The host asks for an IN packet of at most {@code maxLength} bytes. Write the packet into
     * {@code dest} from its position (it has exactly {@code maxLength} bytes of room) and return how
     * many bytes the device sends. {@code dest} is a window onto the transfer's buffer, valid only during
     * this call: the packet lands there directly, and bytes written beyond the count returned are not part
     * of it (they may remain in the buffer, as a real controller's DMA may leave them). Returning more than {@code maxLength} models babble: the host keeps
     * {@code maxLength} bytes and reports {@code DATA_OVERRUN}; the excess is never written.
     *
     * @param frame the bus frame
     * @param microframe the microframe within the frame, 0 at full speed
     * @param dest where the packet goes
     * @param maxLength the most the host accepts in this packet
     * @return bytes sent, or {@link #NAK}
     */
    default int in(long frame, int microframe, ByteBuffer dest, int maxLength) {
        return NAK;
    }

    /**
     * The status the host records for the IN packet the last {@link #in} call answered: {@code OK} (the
     * default) for every model that describes a device, another status for a model that replays a recorded
     * bus ({@link ReplayDevice}). A status that carries no data ({@code NOT_ACCESSED}, {@code STALL}, ...)
     * discards the packet's bytes; an injected fault overrides it.
     *
     * @return the status
     */
    default PacketStatus inStatus() {
        return PacketStatus.OK;
    }
}
