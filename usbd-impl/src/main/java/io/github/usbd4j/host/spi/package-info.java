/**
 * The backend SPI: what the usbd4j runtime needs from a USB host controller, and nothing of CE.
 *
 * <p>A backend ({@code io.github.usbd4j.sim} for the simulator, {@code io.github.usbd4j.libusb} for real
 * devices) reports devices arriving and leaving ({@link io.github.usbd4j.host.spi.HostListener}), runs
 * a bus clock ({@link io.github.usbd4j.host.spi.BusClock}), and executes
 * {@link io.github.usbd4j.host.spi.BackendTransfer}s: control, bulk, interrupt, and isochronous packet
 * batches scheduled at a frame the runtime chose. Every semantic rule (CE's, WinUSB's, WDM's) lives in
 * the runtime's engine; a backend only moves bytes and reports per-packet status.
 */
package io.github.usbd4j.host.spi;
