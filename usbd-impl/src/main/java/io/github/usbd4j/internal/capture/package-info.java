/**
 * Capture of the engine's transfers (not API): the engine's one hook ({@link
 * io.github.usbd4j.internal.capture.TransferTap}) and the usbmon pcapng writer behind
 * {@code io.github.usbd4j.host.CaptureTap}.
 */
package io.github.usbd4j.internal.capture;
