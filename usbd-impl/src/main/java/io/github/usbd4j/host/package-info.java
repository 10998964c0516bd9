/**
 * The usbd4j runtime: {@link io.github.usbd4j.host.Usbd}, CE's USBD over a host controller backend. The
 * backend SPI is in {@link io.github.usbd4j.host.spi}; the simulated backend in {@code io.github.usbd4j.sim}.
 */
package io.github.usbd4j.host;
