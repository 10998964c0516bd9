package io.github.usbd4j.sim;

import io.github.usbd4j.host.spi.PacketStatus;

/**
 * A fault the simulator injected, as recorded by {@link SimulatedDevice#injectedFaults()}.
 *
 * @param frame the bus frame it happened in
 * @param microframe the microframe within the frame, 0 at full speed
 * @param endpointAddress the endpoint, 0 for device-wide events (a vanishing device)
 * @param status what the host reported: the packet status, {@code STALL} for a stall injected on the
 *     endpoint, {@code DEVICE_GONE} for a vanishing device
 */
public record InjectedFault(long frame, int microframe, int endpointAddress, PacketStatus status) {}
