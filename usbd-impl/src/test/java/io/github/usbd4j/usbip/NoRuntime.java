package io.github.usbd4j.usbip;

import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.HostListener;

/**
 * The listener a USB/IP test starts its simulated bus with: no runtime runs on that bus, because the server
 * drives the exported devices itself, so arrivals and departures go unheard.
 */
final class NoRuntime {
    static final HostListener LISTENER = new HostListener() {
        @Override
        public void deviceAttached(BackendDevice device) {}

        @Override
        public void deviceDetached(BackendDevice device) {}
    };

    private NoRuntime() {}
}
