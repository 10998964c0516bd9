package io.github.usbd4j.ce.devmgr;

/**
 * A loaded device: the {@code HANDLE} that {@code ActivateDeviceEx} returns and {@code DeactivateDevice}
 * takes (§D3). Opaque; it stays valid until the device is deactivated.
 */
public interface ActivationHandle {}
