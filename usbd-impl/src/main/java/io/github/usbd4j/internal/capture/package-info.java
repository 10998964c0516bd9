/**
 * Capture of the engine's transfers (not API): the usbmon pcapng writer behind
 * {@code io.github.usbd4j.host.CaptureTap}, plugged into the engine's one hook
 * ({@link io.github.usbd4j.internal.engine.TransferTap}). It knows no personality: each describes its own
 * callers' view through {@link io.github.usbd4j.internal.engine.TransferOwner}.
 */
package io.github.usbd4j.internal.capture;
