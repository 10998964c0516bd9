package io.github.usbd4j.ce.devmgr;

/**
 * A loaded device: the {@code HANDLE} that {@code ActivateDeviceEx} returns and {@code DeactivateDevice}
 * takes (<a href="{@docRoot}/../reference/ce-devmgr.html#d3">§D3</a>). Opaque; it stays valid until the device is deactivated.
 */
public interface ActivationHandle {}
